import logging

from celery import shared_task

from processors import reminders

logger = logging.getLogger(__name__)


@shared_task(soft_time_limit=120, time_limit=180)
def send_review_reminders() -> int:
    """Sweeper: remind of agreement, transfer and sub-processor deadlines, once per due date."""
    count = reminders.review_reminders_send()
    if count:
        logger.info("review reminders: %s item(s)", count)
    return count
