"""Small helpers shared by tests: counting queries, reading and posting admin pages."""

from collections.abc import Callable

from django import forms
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse


def count_queries(action: Callable[[], object]) -> int:
    """How many SQL queries `action` runs on the default database."""
    with CaptureQueriesContext(connection) as ctx:
        action()
    return len(ctx.captured_queries)


def queries_of_get(client, url: str) -> int:
    """Query count of a GET that must succeed; for "flat as rows grow" assertions."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


def authenticator_for(user):
    """The user's confirmed authenticator app (TOTP), created if they have none."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Test app", confirmed=True)


def authenticator_code(device) -> str:
    """The code the app shows now."""
    from django_otp.oath import totp

    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{code:0{device.digits}d}"


def verify_second_factor(client, user) -> None:
    """Mark the client's session as verified by the user's authenticator app."""
    from django_otp import DEVICE_ID_SESSION_KEY

    session = client.session
    session[DEVICE_ID_SESSION_KEY] = authenticator_for(user).persistent_id
    session.save()


def force_login_without_second_factor(client, user) -> None:
    """A session signed in with the password only: what a stolen password alone gets."""
    client.force_login_unverified(user)


# --- Admin pages ----------------------------------------------------------------------------


def admin_url(model, view="changelist", *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _form_values(form) -> dict:
    """What a browser would submit for `form` untouched: its initial values, as strings."""
    data = {}
    for name, field in form.fields.items():
        bound = form[name]
        value = bound.value()
        widget = field.widget
        if isinstance(widget, RelatedFieldWidgetWrapper):
            widget = widget.widget
        if isinstance(widget, forms.CheckboxInput):
            if value:
                data[bound.html_name] = "on"
        elif isinstance(widget, forms.ClearableFileInput):
            continue
        elif isinstance(widget, forms.MultiWidget):
            for index, part in enumerate(widget.decompress(value)):
                if part is not None:
                    data[f"{bound.html_name}_{index}"] = str(part)
        elif value is None:
            continue
        elif isinstance(value, list | tuple):
            data[bound.html_name] = [str(item) for item in value]
        else:
            data[bound.html_name] = str(value)
    return data


def changeform_data(response, overrides: dict | None = None) -> dict:
    """The POST data of an admin add/change page as served (inlines and management forms
    included), with `overrides` applied; an override of None removes the key (an unticked
    checkbox)."""
    context = response.context
    data = _form_values(context["adminform"].form)
    for inline in context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(_form_values(formset.management_form))
        for form in formset.forms:
            data.update(_form_values(form))
    for key, value in (overrides or {}).items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def form_errors(response) -> list[str]:
    """Every error an admin change form shows: fields, the form, inline rows and formsets."""
    assert response.status_code == 200, response.status_code
    context = response.context
    errors = [error for field in context["adminform"].form.errors.values() for error in field]
    for inline in context["inline_admin_formsets"]:
        formset = inline.formset
        errors += list(formset.non_form_errors())
        errors += [error for row in formset.errors for field in row.values() for error in field]
    return errors


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def post_form(client, url: str, overrides: dict | None = None, **kwargs):
    """GET an admin form, then POST it back with `overrides`."""
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    return client.post(url, changeform_data(page, overrides), **kwargs)
