import logging

from celery import shared_task

from privacy import policy_notices

logger = logging.getLogger(__name__)


@shared_task(soft_time_limit=50, time_limit=60)
def send_policy_notices() -> int:
    """Write the next batch of every open policy change notice (throttled by the batch size
    and the minute between sweeps). Each person is claimed once."""
    written = 0
    for notice_id in policy_notices.notices_open_ids():
        written += policy_notices.notice_send_batch(notice_id=notice_id)
    if written:
        logger.info("policy notices: %s email(s) written", written)
    return written
