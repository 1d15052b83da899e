from django.db import models
from django.utils.translation import gettext_lazy as _


class Adequacy(models.TextChoices):
    """What Art. 45 says about a country."""

    NONE = "none", _("No adequacy decision")
    FULL = "full", _("Adequacy decision")
    # Canada's decision covers organisations subject to PIPEDA only.
    COMMERCIAL = "commercial", _("Adequacy decision for commercial organisations")
    # The EU-US Data Privacy Framework covers certified organisations only.
    DPF = "dpf", _("Adequacy for organisations certified under the EU-US Data Privacy Framework")


class ProcessorRole(models.TextChoices):
    PROCESSOR = "processor", _("Processor (Art. 28)")
    SUB_PROCESSOR = "sub_processor", _("Sub-processor (Art. 28(2), (4))")
    INDEPENDENT_CONTROLLER = "independent_controller", _("Independent controller")
    JOINT_CONTROLLER = "joint_controller", _("Joint controller (Art. 26)")


class AgreementKind(models.TextChoices):
    DPA = "dpa", _("Data processing agreement (Art. 28)")
    SCC_2021_915 = "scc_2021_915", _("Standard contractual clauses 2021/915 (Art. 28(7))")
    JOINT_CONTROLLER = "joint_controller", _("Joint controller arrangement (Art. 26)")
    OTHER = "other", _("Other agreement")


class SubprocessorAuthorisation(models.TextChoices):
    GENERAL = "general", _("General written authorisation (changes are announced)")
    SPECIFIC = "specific", _("Specific prior authorisation for each sub-processor")


class SubprocessorChangeType(models.TextChoices):
    ADDITION = "addition", _("Addition")
    REPLACEMENT = "replacement", _("Replacement")
    REMOVAL = "removal", _("Removal")


class SubprocessorDecision(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    OBJECTED = "objected", _("Objected")


class TransferMechanism(models.TextChoices):
    ADEQUACY = "adequacy", _("Adequacy decision (Art. 45)")
    DPF = "dpf", _("EU-US Data Privacy Framework (Art. 45)")
    SCC = "scc_2021_914", _("Standard contractual clauses 2021/914 (Art. 46(2)(c))")
    BCR = "bcr", _("Binding corporate rules (Art. 47)")
    DEROGATION = "derogation_49", _("Derogation for a specific situation (Art. 49)")


class SccModule(models.IntegerChoices):
    CONTROLLER_TO_CONTROLLER = 1, _("Module 1: controller to controller")
    CONTROLLER_TO_PROCESSOR = 2, _("Module 2: controller to processor")
    PROCESSOR_TO_PROCESSOR = 3, _("Module 3: processor to processor")
    PROCESSOR_TO_CONTROLLER = 4, _("Module 4: processor to controller")


class Derogation(models.TextChoices):
    EXPLICIT_CONSENT = "a", _("49(1)(a) explicit, informed consent")
    CONTRACT_WITH_SUBJECT = "b", _("49(1)(b) contract with the data subject")
    CONTRACT_IN_SUBJECT_INTEREST = "c", _("49(1)(c) contract in the data subject's interest")
    PUBLIC_INTEREST = "d", _("49(1)(d) important reasons of public interest")
    LEGAL_CLAIMS = "e", _("49(1)(e) legal claims")
    VITAL_INTERESTS = "f", _("49(1)(f) vital interests")
    PUBLIC_REGISTER = "g", _("49(1)(g) public register")
    COMPELLING_INTERESTS = (
        "compelling",
        _("49(1) second subparagraph: compelling legitimate interests"),
    )


class TiaOutcome(models.TextChoices):
    ADEQUATE = "adequate", _("Essentially equivalent protection")
    WITH_MEASURES = "with_measures", _("Essentially equivalent with supplementary measures")
    NOT_ADEQUATE = "not_adequate", _("Not adequate: suspend the transfer")
