from django.urls import path

from dsr import staff_views

app_name = "dsr_staff"

urlpatterns = [
    path("letters/<int:pk>.pdf", staff_views.letter_pdf, name="letter_pdf"),
    path("exports/files/<int:pk>/", staff_views.export_file, name="export_file"),
    path("tasks/<int:pk>/evidence/", staff_views.task_evidence, name="task_evidence"),
]
