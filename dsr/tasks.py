import logging

from celery import shared_task

from dsr.services import cases as case_services

logger = logging.getLogger(__name__)


@shared_task(soft_time_limit=240, time_limit=300)
def close_unconfirmed_cases() -> int:
    """Sweeper: close self-service requests never confirmed within the allowed days.
    Each case is closed in its own transaction and re-checked under lock, so a rerun or a
    second beat closes nothing twice."""
    closed = 0
    for case in case_services.cases_unconfirmed_due().only("pk").iterator():
        if case_services.case_close_unconfirmed(case=case) is not None:
            closed += 1
            logger.info("closed unconfirmed case %s", case.pk)
    return closed
