"""The requests' admin, by area: the queue and a case's page (cases, with its steps in steps,
filters and display), submissions, exports, letters and their templates, and the retention
sweep on the register's rules (retention). Importing the package registers them all."""

from dsr.admin import cases, exports, letters, retention, submissions  # noqa: F401
