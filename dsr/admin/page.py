"""The steps of a case's page (dsr.admin.steps) as pages of their own, and its Exports panel:
the part of the case admin that turns a button into one service call."""

from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from core.admin_steps import step_page, step_urls, steps_offered
from dsr import staff_views
from dsr.admin.display import (
    task_label,
    user_name,
)
from dsr.admin.steps import (
    CASE_STEPS,
    EXPORT_JOB_STEPS,
    EXPORT_STEPS,
    TASK_STEPS,
    ExportTarget,
)
from dsr.models import CaseTask, DsrCase
from dsr.permissions import case_visible_to
from dsr.selectors import cases as case_selectors

CASE_PREFIX = "dsr_dsrcase"
TASK_PREFIX = "dsr_dsrcase_task"
EXPORT_PREFIX = "dsr_dsrcase_export"


def _by_name(steps, name):
    return next(step for step in steps if step.name == name)


def _reloaded_case(case: DsrCase) -> DsrCase:
    case.refresh_from_db()
    return case


def _reloaded_task(task: CaseTask) -> CaseTask:
    fresh = CaseTask.objects.select_related("system", "recipient").get(pk=task.pk)
    fresh.case = _reloaded_case(task.case)
    return fresh


class CaseStepsMixin:
    """For DsrCaseAdmin: one URL per step of the case, of a task and of an export."""

    def get_urls(self):
        # Task URLs first: "<case>/tasks/<task>/complete/" would also match "<case>/complete/".
        return [
            *step_urls(
                self,
                [s for s in EXPORT_STEPS if s.name in EXPORT_JOB_STEPS],
                self.export_step_view,
                prefix=EXPORT_PREFIX,
                route="<path:object_id>/exports/<int:job_id>/{name}/",
            ),
            *step_urls(
                self,
                [s for s in EXPORT_STEPS if s.name not in EXPORT_JOB_STEPS],
                self.export_step_view,
                prefix=EXPORT_PREFIX,
                route="<path:object_id>/exports/{name}/",
            ),
            *step_urls(
                self,
                TASK_STEPS,
                self.task_step_view,
                prefix=TASK_PREFIX,
                route="<path:object_id>/tasks/<int:task_id>/{name}/",
            ),
            *step_urls(
                self,
                CASE_STEPS,
                self.case_step_view,
                prefix=CASE_PREFIX,
                route="<path:object_id>/{name}/",
            ),
            *super().get_urls(),
        ]

    # --- Case page --------------------------------------------------------------------------

    def _export_panel(self, request, case: DsrCase) -> dict:
        """The Exports panel: every export with its files (two queries however many), and
        the buttons this user may press now."""
        jobs = list(case_selectors.case_exports(case))
        can_act = self.has_change_permission(request, case)
        can_download = request.user.has_perm(staff_views.CASE_FILES_PERMISSION)

        def buttons(job):
            if not can_act:
                return []
            target = ExportTarget(case=case, job=job, jobs=jobs)
            return [
                {
                    "label": step.label,
                    "url": reverse(
                        f"admin:{step.url_name(EXPORT_PREFIX)}",
                        args=[quote(case.pk), job.pk] if job else [quote(case.pk)],
                    ),
                    "danger": step.danger,
                }
                for step in steps_offered(EXPORT_STEPS, target)
                if (step.name in EXPORT_JOB_STEPS) == (job is not None)
            ]

        rows = [
            {
                "job": job,
                "requested_by": user_name(job.requested_by),
                "files": [
                    {
                        "file": file,
                        "url": reverse("dsr_staff:export_file", args=[file.pk])
                        if can_download and file.storage_name and not file.deleted_at
                        else "",
                    }
                    for file in case_selectors.export_files_in_order(job.files.all())
                ],
                "actions": buttons(job),
            }
            for job in jobs
        ]
        return {"rows": rows, "actions": buttons(None)}

    def case_step_view(self, request, object_id, step_name):
        """A step of the case: GET shows its form, POST calls the one service behind it."""
        step = _by_name(CASE_STEPS, step_name)
        case = self._case_to_change(request, object_id)
        if not isinstance(case, DsrCase):
            return case
        return self._step_page(request, case=case, step=step, target=case)

    def task_step_view(self, request, object_id, task_id, step_name):
        """A step of one fulfilment task (try again, done by hand, not needed)."""
        step = _by_name(TASK_STEPS, step_name)
        case = self._case_to_change(request, object_id)
        if not isinstance(case, DsrCase):
            return case
        task = case_selectors.case_tasks(case).filter(pk=task_id).first()
        if task is None:
            raise Http404
        task.case = case
        return self._step_page(
            request,
            case=case,
            step=step,
            target=task,
            subtitle=f"{case.reference}: {task_label(task)}",
            context={"task": task},
            reload=lambda task: _reloaded_task(task),
        )

    def export_step_view(self, request, object_id, step_name, job_id=None):
        """A button of the Exports panel (build, retry, regenerate)."""
        step = _by_name(EXPORT_STEPS, step_name)
        case = self._case_to_change(request, object_id)
        if not isinstance(case, DsrCase):
            return case
        jobs = list(case_selectors.case_exports(case))
        job = None
        if step.name in EXPORT_JOB_STEPS:
            job = next((candidate for candidate in jobs if candidate.pk == job_id), None)
            if job is None:
                raise Http404
        target = ExportTarget(case=case, job=job, jobs=jobs)
        return self._step_page(
            request,
            case=case,
            step=step,
            target=target,
            reload=lambda target: ExportTarget(
                case=_reloaded_case(target.case), job=target.job, jobs=target.jobs
            ),
        )

    def _case_to_change(self, request, object_id):
        """The case, a redirect when it does not exist, or PermissionDenied."""
        case = self.get_object(request, unquote(object_id))
        if case is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, case):
            raise PermissionDenied
        return case

    def _step_page(self, request, *, case, step, target, subtitle=None, context=None, reload=None):
        case_url = reverse("admin:dsr_dsrcase_change", args=[quote(case.pk)])

        def after(target) -> str:
            # Assigned to a colleague: a support agent no longer sees the case.
            if not case_visible_to(request.user, _reloaded_case(case)):
                return reverse("admin:dsr_dsrcase_changelist")
            return case_url

        return step_page(
            self,
            request,
            step=step,
            target=target,
            back_url=case_url,
            after=after,
            reload=reload or _reloaded_case,
            template="admin/dsr/dsrcase/step_form.html",
            context={
                "subtitle": subtitle or case.reference,
                "case": case,
                "case_url": case_url,
                "linked": case_selectors.case_linked(case),
                **(context or {}),
            },
        )
