"""Reads about requests that span relations, by sub-domain: the queue and a case's page
(cases), the public status page (status_page), fulfilment (fulfilment), reminders (reminders)
and the managers' digests (digests). Selectors never import services."""
