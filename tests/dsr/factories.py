"""Factories for fulfilment: system connectors and their statements."""

import factory

from dsr import models as dsr_models
from tests.factories import DataCategoryFactory, SystemFactory, UserFactory

WEBHOOK_SECRET = "whsec-test-3f9c2a1b"


class SqlConnectorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = dsr_models.SystemConnector

    system = factory.SubFactory(SystemFactory)
    kind = "postgresql"
    dsn = "postgresql://postgres@127.0.0.1:5432/nowhere"


class WebhookConnectorFactory(SqlConnectorFactory):
    kind = "webhook"
    dsn = ""
    webhook_url = "http://127.0.0.1:9/hook"
    webhook_secret = WEBHOOK_SECRET


class ManualConnectorFactory(SqlConnectorFactory):
    kind = "manual"
    dsn = ""
    manual_owner = factory.SubFactory(UserFactory)
    manual_instructions = "Search the mailbox for the person's addresses and delete the threads."


class ConnectorQueryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = dsr_models.ConnectorQuery

    connector = factory.SubFactory(SqlConnectorFactory)
    operation = "find"
    data_category = factory.SubFactory(DataCategoryFactory)
    label = factory.Sequence(lambda n: f"table{n}")
    sql = "SELECT 1 AS one"
