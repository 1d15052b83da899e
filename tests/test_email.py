from django.core.mail import EmailMultiAlternatives, send_mail


def test_mail_goes_through_the_real_smtp_server(smtp_sink, settings):
    send_mail("Hello", "Plain body", "privacy@example.com", ["person@example.org"])

    [mail] = smtp_sink.wait_for(1)
    assert mail.rcpt_tos == ["person@example.org"]
    assert mail.subject == "Hello"
    assert mail.text().strip() == "Plain body"


def test_sink_keeps_html_and_text_parts(smtp_sink):
    message = EmailMultiAlternatives("Ärende", "Hej då", "privacy@example.com", ["a@example.org"])
    message.attach_alternative("<p>Hej <strong>då</strong></p>", "text/html")
    message.send()

    [mail] = smtp_sink.wait_for(1)
    assert mail.subject == "Ärende"
    assert mail.text().strip() == "Hej då"
    assert "<strong>då</strong>" in mail.html()


def test_sink_can_refuse_mail(smtp_sink):
    import smtplib

    import pytest

    smtp_sink.refuse_with = "451 4.3.0 Try again later"
    with pytest.raises(smtplib.SMTPDataError):
        send_mail("Refused", "Body", "privacy@example.com", ["a@example.org"])
    assert smtp_sink.messages == []
