"""The Celery application.

Configuration comes from Django settings under the CELERY_ prefix (see config/settings/base.py),
tasks are discovered in each app's tasks.py, and the beat schedule is code in the settings.
"""

import os

from celery import Celery

from config.dotenv import load_dotenv

load_dotenv()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
