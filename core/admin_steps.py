"""Steps on an object's admin page: a button that opens a small form (or asks to confirm) and
calls one service.

A step names the rule that says whether it is possible now (`blocker`: None, or the reason in
words) and the one service it calls (`run`). The page offers a step only where its rule allows
it; a step opened anyway (an old tab, a typed address) goes back with the rule's reason; a POST
runs the service, whose refusal (the same rule) is shown on the form, never as a 500.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods

from core.admin_tools import error_text
from core.errors import ApplicationError


class ConfirmForm(forms.Form):
    """Nothing to fill in: the button confirms."""


@dataclass(frozen=True)
class Step:
    name: str  # its URL segment
    label: str
    run: Callable[[Any, dict, Any], Any]  # (target, cleaned data, user) -> the service's result
    blocker: Callable[[Any], str | None]  # (target) -> why the step is not possible now
    success: Callable[[Any], str]  # (target, as it is after the step) -> the message
    form_class: type[forms.Form] = ConfirmForm
    description: str = ""
    danger: bool = False
    # (target, request) -> keyword arguments of the form, e.g. an initial value.
    form_kwargs: Callable[[Any, Any], dict] | None = None

    def url_name(self, prefix: str) -> str:
        return f"{prefix}_{self.name.replace('-', '_')}"


def steps_offered(steps, target) -> list[Step]:
    """The steps whose rule allows them now."""
    return [step for step in steps if step.blocker(target) is None]


def step_urls(model_admin, steps, view, *, prefix: str, route: str) -> list:
    """One GET/POST page per step at `route` (formatted with the step's name), calling
    `view(request, step_name=..., **url kwargs)`."""
    handler = model_admin.admin_site.admin_view(require_http_methods(["GET", "POST"])(view))
    return [
        path(
            route.format(name=step.name),
            handler,
            {"step_name": step.name},
            name=step.url_name(prefix),
        )
        for step in steps
    ]


def step_page(
    model_admin,
    request,
    *,
    step: Step,
    target,
    back_url: str,
    template: str,
    context: dict,
    reload: Callable[[Any], Any] = lambda target: target,
    after: Callable[[Any], str] | None = None,
):
    """GET: the step's form, or back to `back_url` with the rule's reason if it is not possible
    now. POST: the rule's reason (asked again) or the service's refusal on the form, with what
    was typed kept, or its success as a message, then back to
    `after(target)` (default `back_url`). `reload` re-reads the target after the step, so the
    message tells its new state."""
    form_kwargs = step.form_kwargs(target, request) if step.form_kwargs else {}
    if request.method == "POST":
        form = step.form_class(request.POST, request.FILES, **form_kwargs)
        # Asked again on POST: the page may have been opened before someone else's step.
        blocker = step.blocker(target)
        if blocker is not None:
            form.is_valid()
            form.add_error(None, blocker)
        elif form.is_valid():
            try:
                step.run(target, form.cleaned_data, request.user)
            except ApplicationError as error:
                form.add_error(None, error.message)
            except ValidationError as error:
                form.add_error(None, error_text(error))
            else:
                target = reload(target)
                model_admin.message_user(request, step.success(target), messages.SUCCESS)
                return redirect(after(target) if after else back_url)
    else:
        blocker = step.blocker(target)
        if blocker is not None:
            model_admin.message_user(request, blocker, messages.WARNING)
            return redirect(back_url)
        form = step.form_class(**form_kwargs)
    return TemplateResponse(
        request,
        template,
        {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.opts,
            "title": step.label,
            "step": step,
            "form": form,
            "media": model_admin.media + form.media,
            "has_view_permission": True,
            "back_url": back_url,
            **context,
        },
    )


class ObjectStepsMixin:
    """For a ModelAdmin: `object_steps` as buttons at the top of an object's page (where the
    rule allows them, to staff who may change it), each a page of its own."""

    object_steps: tuple[Step, ...] = ()
    step_template = "admin/step_form.html"

    @property
    def step_prefix(self) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}"

    def get_urls(self):
        return [
            *step_urls(
                self,
                self.object_steps,
                self.object_step_view,
                prefix=self.step_prefix,
                route="<path:object_id>/{name}/",
            ),
            *super().get_urls(),
        ]

    def _object_url(self, obj) -> str:
        return reverse(f"admin:{self.step_prefix}_change", args=[quote(obj.pk)])

    def object_step_view(self, request, object_id, step_name):
        step = next(step for step in self.object_steps if step.name == step_name)
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        object_url = self._object_url(obj)
        return step_page(
            self,
            request,
            step=step,
            target=obj,
            back_url=object_url,
            template=self.step_template,
            context={"object": obj, "object_url": object_url},
            reload=lambda target: type(target).objects.get(pk=target.pk),
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and self.has_change_permission(request, obj):
            context["object_steps"] = [
                {
                    "label": step.label,
                    "url": reverse(
                        f"admin:{step.url_name(self.step_prefix)}", args=[quote(obj.pk)]
                    ),
                }
                for step in steps_offered(self.object_steps, obj)
            ]
        return super().render_change_form(request, context, add, change, form_url, obj)
