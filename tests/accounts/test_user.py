import pytest
from django.db import IntegrityError

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_staff_emails_are_unique_ignoring_case():
    UserFactory(username="a", email="Officer@Example.com")
    with pytest.raises(IntegrityError):
        UserFactory(username="b", email="officer@example.COM")


def test_several_staff_may_have_no_email():
    UserFactory(username="a", email="")
    UserFactory(username="b", email="")
