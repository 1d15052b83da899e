from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.selectors import digest_subscriptions_active
from dsr.selectors import digests as digest_selectors
from dsr.services import digests


class Command(BaseCommand):
    help = (
        "Write the managers' digests to the outbox. Without options: the digests that are due "
        "and not yet sent, as the beat sweep does (each period once). With --now: every active "
        "subscriber's digest for the period ending now, as a preview that claims nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--now",
            action="store_true",
            help="Preview: send every active subscription's digest for the period ending now.",
        )

    def handle(self, *args, now: bool, **options):
        moment = timezone.now()
        if now:
            subscriptions = list(digest_subscriptions_active())
            for subscription in subscriptions:
                digests.digest_send(subscription=subscription, now=moment, preview=True)
                self.stdout.write(f"preview for {subscription.user.username} written")
            self.stdout.write(self.style.SUCCESS(f"{len(subscriptions)} preview digest(s)"))
            return
        sent = 0
        for subscription, period in digest_selectors.digests_due(moment):
            if digests.digest_send(subscription=subscription, now=moment) is not None:
                sent += 1
                self.stdout.write(
                    f"{subscription.user.username}: {period.first_day} to {period.last_day}"
                )
        self.stdout.write(self.style.SUCCESS(f"{sent} digest(s) sent"))
