"""Real mail from other projects' test suites (``../shared/corpora``, see its README).

Every whole message goes through ingest without an exception; and each value a source's own
tests expect (``expected.json``) is compared with what Zabota extracts: one test per value.
Where Zabota differs on purpose or by a known limit, ``KNOWN_DIFFERENCES`` says why, and the
test then checks that the difference is still there (so a fix shows up as a failure asking to
drop the entry)."""

from __future__ import annotations

import logging
import mailbox
import time

import pytest

from tests.email import corpus
from tests.email.support import make_mailbox
from zabota.channels.email.ingest import ingest
from zabota.channels.email.parse import Unparseable, parse

# Why Zabota's answer differs from the source's expectation.
AUTO_GENERATED = (
    "Chatwoot counts Auto-Submitted: auto-generated as an auto-reply; Zabota sends no automatic "
    "answer to it (auto_submitted is set) but keeps is_auto_reply for out-of-office answers"
)
CHATWOOT_KEEPS_QUOTE = (
    "Chatwoot keeps the quoted history in the message; Zabota strips it (the original stays)"
)
INLINE_NOT_COUNTED = (
    "the images are shown inline in the HTML (cid:), so Zabota stores them as inline images, not as "
    "listed attachments"
)
HELPDESK_HTML_ATTACHMENT = (
    "django-helpdesk stores the HTML alternative as an attachment; Zabota keeps it as the HTML body"
)
PLAIN_ALTERNATIVE = (
    "the text/plain and text/html alternatives say different things; Zabota's text is the plain "
    "alternative (django-helpdesk searches the HTML)"
)
UUENCODE = (
    "uuencoded attachments inside a plain-text body are not extracted (kept in the text and the original)"
)
NAMED_TEXT_PART = (
    "a text part with a file name is an attachment in Zabota (the other parser reads it as body)"
)
UTF7_HEADER = "an undeclared UTF-7 header is not decoded (Netscape 4.7 sample; not seen in current mail)"
BROKEN_UTF7 = "the UTF-7 body is itself broken in the sample; Zabota decodes what is there"
SIGNATURE_PART = (
    "Zabota keeps the S/MIME or PGP signature part as an attachment; the parser under test does not count it"
)
UNNAMED = "an unnamed part gets a name from its type (attachment.bin, invite.ics) rather than noname1"
MAILCORE_MOJIBAKE = "MailCore's expected subject is itself mojibake; Zabota decodes the koi8-r correctly"
MAILCORE_PLACEHOLDER = "MailCore renders a missing subject as 'No Subject'; Zabota keeps it empty"
MAILCORE_STRIPS_RE = "MailCore's rendering drops the 'Re:' prefix; Zabota keeps the subject as sent"
ML_REFUSAL = "a mailing-list manager's 'you are not a member' reply is not an MTA delivery report for Zabota"
BOUNCE_UNDETECTED = (
    "a non-standard bounce format Zabota does not recognise yet (it becomes a ticket, nothing is lost)"
)
BOUNCE_RECIPIENTS = (
    "the failed recipients of this non-standard report are not (or not exactly) found; the bounce "
    "itself is recognised"
)
TNEF_NOT_DECODED = "Zabota keeps TNEF (winmail.dat) as an attachment and does not decode it"
CRISP = (
    "crisp-email-reply-parser's fragment rules differ (it keeps signatures, splits on other headers); "
    "Zabota's text is mail-parser-reply's with Russian forms and signature removal"
)
DISCOURSE = (
    "email_reply_trimmer trims differently (it removes more signature forms, keeps embedded forwards, "
    "and normalises delimiters); Zabota keeps the text mail-parser-reply leaves"
)
GITHUB = "email_reply_parser's visible text keeps or drops lines by its own rules; Zabota's differs here"
MPR = "upstream enables other language sets for this case than Zabota's en/ru/de/fr/es/it/nl/pl"
TALON = (
    "talon's machine-learned and Outlook-specific rules (signature kept, 'From:/Sent:' blocks, Android "
    "Russian headers) are not reproduced"
)

KNOWN_DIFFERENCES: dict[str, str] = {
    "chatwoot/auto_reply_with_auto_submitted.eml::auto_reply": AUTO_GENERATED,
    "chatwoot/mail_with_quote.eml::message_content": CHATWOOT_KEEPS_QUOTE,
    "chatwoot/reply.eml::attachment_count": INLINE_NOT_COUNTED,
    "chatwoot/support.eml::attachment_count": INLINE_NOT_COUNTED,
    "chatwoot/welcome.eml::number_of_attachments": INLINE_NOT_COUNTED,
    "django-helpdesk/quoted_printable.eml::followup_attachment_count": HELPDESK_HTML_ATTACHMENT,
    "django-helpdesk/utf-nondecodable.eml::body_contains": PLAIN_ALTERNATIVE,
    "zbateson-mail-mime-parser/m0018.txt::attachment_count": UUENCODE,
    "zbateson-mail-mime-parser/m0018.txt::text": UUENCODE,
    "zbateson-mail-mime-parser/m1009.txt::attachment_count": NAMED_TEXT_PART,
    "zbateson-mail-mime-parser/m1011.txt::subject": UTF7_HEADER,
    "zbateson-mail-mime-parser/m1011.txt::text": BROKEN_UTF7,
    "zbateson-mail-mime-parser/m4002.txt::attachment_count": SIGNATURE_PART,
    "zbateson-mail-mime-parser/m4004.txt::attachment_count": SIGNATURE_PART,
    "php-mime-mail-parser/m0010::attachments": UNNAMED,
    "php-mime-mail-parser/m0014::text_body_contains": NAMED_TEXT_PART,
    "php-mime-mail-parser/m0016::text_body_contains": NAMED_TEXT_PART,
    "php-mime-mail-parser/m0020::attachments": UNNAMED,
    "sisimai-set-of-emails/bsd/lhost-amazonworkmail-02.eml::bounce_recipients": BOUNCE_RECIPIENTS,
    "sisimai-set-of-emails/bsd/lhost-apachejames-01.eml::bounce": BOUNCE_UNDETECTED,
    "sisimai-set-of-emails/bsd/lhost-apachejames-01.eml::bounce_recipients": BOUNCE_RECIPIENTS,
    "sisimai-set-of-emails/bsd/lhost-exchange2003-03.eml::bounce": BOUNCE_UNDETECTED,
    "sisimai-set-of-emails/bsd/lhost-exchange2003-03.eml::bounce_recipients": BOUNCE_RECIPIENTS,
    "sisimai-set-of-emails/bsd/lhost-fml-02.eml::bounce": ML_REFUSAL,
    "sisimai-set-of-emails/bsd/lhost-fml-02.eml::bounce_recipients": ML_REFUSAL,
    "sisimai-set-of-emails/bsd/lhost-fml-03.eml::bounce": ML_REFUSAL,
    "sisimai-set-of-emails/bsd/lhost-fml-03.eml::bounce_recipients": ML_REFUSAL,
    "sisimai-set-of-emails/bsd/lhost-kddi-02.eml::bounce": BOUNCE_UNDETECTED,
    "sisimai-set-of-emails/bsd/lhost-kddi-02.eml::bounce_recipients": BOUNCE_RECIPIENTS,
    "sisimai-set-of-emails/bsd/lhost-kddi-03.eml::bounce": BOUNCE_UNDETECTED,
    "sisimai-set-of-emails/bsd/lhost-kddi-03.eml::bounce_recipients": BOUNCE_RECIPIENTS,
    "sisimai-set-of-emails/bsd/lhost-messagingserver-03.eml::bounce_recipients": BOUNCE_RECIPIENTS,
    "sisimai-set-of-emails/bsd/lhost-v5sendmail-01.eml::bounce_recipients": BOUNCE_RECIPIENTS,
    "sisimai-set-of-emails/bsd/lhost-verizon-01.eml::bounce_recipients": BOUNCE_RECIPIENTS,
    "sisimai-set-of-emails/bsd/lhost-verizon-02.eml::bounce": BOUNCE_UNDETECTED,
    "sisimai-set-of-emails/bsd/lhost-verizon-02.eml::bounce_recipients": BOUNCE_RECIPIENTS,
    "sisimai-set-of-emails/bsd/lhost-zoho-01.eml::bounce_recipients": BOUNCE_RECIPIENTS,
    "sisimai-set-of-emails/bsd/lhost-zoho-02.eml::bounce_recipients": BOUNCE_RECIPIENTS,
    "sisimai-set-of-emails/bsd/lhost-zoho-03.eml::bounce_recipients": BOUNCE_RECIPIENTS,
    "sisimai-set-of-emails/bsd/rfc3464-04.eml::bounce_recipients": BOUNCE_RECIPIENTS,
    "sisimai-set-of-emails/bsd/rhost-franceptt-03.eml::bounce_recipients": BOUNCE_RECIPIENTS,
    "sisimai-set-of-emails/bsd/rhost-google-02.eml::bounce_recipients": BOUNCE_RECIPIENTS,
    "sisimai-set-of-emails/bsd/rhost-yahooinc-03.eml::bounce_recipients": BOUNCE_RECIPIENTS,
    "mailcore2/1015-windows-1252.eml::subject": MAILCORE_STRIPS_RE,
    "mailcore2/5231-emoji.eml::subject": MAILCORE_PLACEHOLDER,
    "mailcore2/6094-japanese-1.eml::subject": MAILCORE_STRIPS_RE,
    "mailcore2/6144-russian.eml::subject": MAILCORE_MOJIBAKE,
    "mailcore2/989-encoding-1.eml::subject": MAILCORE_STRIPS_RE,
    "mailcore2/989-encoding-3.eml::subject": MAILCORE_STRIPS_RE,
    "mailcore2/989-encoding-5.eml::subject": MAILCORE_STRIPS_RE,
    "mailcore2/989-encoding-6.eml::subject": MAILCORE_STRIPS_RE,
    "mimekit/tnef/MAPI_ATTACH_DATA_OBJ.tnef::tnef_decoded": TNEF_NOT_DECODED,
    "mimekit/tnef/MAPI_OBJECT.tnef::tnef_decoded": TNEF_NOT_DECODED,
    "mimekit/tnef/attachments.tnef::tnef_decoded": TNEF_NOT_DECODED,
    "mimekit/tnef/body.tnef::tnef_decoded": TNEF_NOT_DECODED,
    "mimekit/tnef/christmas.tnef::tnef_decoded": TNEF_NOT_DECODED,
    "mimekit/tnef/data-before-name.tnef::tnef_decoded": TNEF_NOT_DECODED,
    "mimekit/tnef/long-filename.tnef::tnef_decoded": TNEF_NOT_DECODED,
    "mimekit/tnef/missing-filenames.tnef::tnef_decoded": TNEF_NOT_DECODED,
    "mimekit/tnef/multi-value-attribute.tnef::tnef_decoded": TNEF_NOT_DECODED,
    "mimekit/tnef/one-file.tnef::tnef_decoded": TNEF_NOT_DECODED,
    "mimekit/tnef/panic.tnef::tnef_decoded": TNEF_NOT_DECODED,
    "mimekit/tnef/rtf.tnef::tnef_decoded": TNEF_NOT_DECODED,
    "mimekit/tnef/triples.tnef::tnef_decoded": TNEF_NOT_DECODED,
    "mimekit/tnef/two-files.tnef::tnef_decoded": TNEF_NOT_DECODED,
    "mimekit/tnef/unicode-mapi-attr-name.tnef::tnef_decoded": TNEF_NOT_DECODED,
    "mimekit/tnef/unicode-mapi-attr.tnef::tnef_decoded": TNEF_NOT_DECODED,
    "mimekit/tnef/winmail.tnef::tnef_decoded": TNEF_NOT_DECODED,
    "discourse-email_reply_trimmer/delimiters.txt::trimmed": DISCOURSE,
    "discourse-email_reply_trimmer/email_headers_1.txt::trimmed": DISCOURSE,
    "discourse-email_reply_trimmer/email_headers_2.txt::trimmed": DISCOURSE,
    "discourse-email_reply_trimmer/email_headers_3.txt::trimmed": DISCOURSE,
    "discourse-email_reply_trimmer/email_headers_4.txt::trimmed": DISCOURSE,
    "discourse-email_reply_trimmer/email_headers_5.txt::trimmed": DISCOURSE,
    "discourse-email_reply_trimmer/embedded_email_10.txt::trimmed": DISCOURSE,
    "discourse-email_reply_trimmer/embedded_email_11.txt::trimmed": DISCOURSE,
    "discourse-email_reply_trimmer/embedded_email_12.txt::trimmed": DISCOURSE,
    "discourse-email_reply_trimmer/embedded_email_13.txt::trimmed": DISCOURSE,
    "discourse-email_reply_trimmer/embedded_email_14.txt::trimmed": DISCOURSE,
    "discourse-email_reply_trimmer/embedded_email_15.txt::trimmed": DISCOURSE,
    "discourse-email_reply_trimmer/embedded_email_17.txt::trimmed": DISCOURSE,
    "discourse-email_reply_trimmer/embedded_email_18.txt::trimmed": DISCOURSE,
    "discourse-email_reply_trimmer/embedded_email_2.txt::trimmed": DISCOURSE,
    "discourse-email_reply_trimmer/embedded_email_4.txt::trimmed": DISCOURSE,
    "discourse-email_reply_trimmer/embedded_email_5.txt::trimmed": DISCOURSE,
    "discourse-email_reply_trimmer/embedded_email_7.txt::trimmed": DISCOURSE,
    "discourse-email_reply_trimmer/embedded_email_9.txt::trimmed": DISCOURSE,
    "discourse-email_reply_trimmer/embedded_email_chinese.txt::trimmed": DISCOURSE,
    "discourse-email_reply_trimmer/embedded_email_dutch_1.txt::trimmed": DISCOURSE,
    "discourse-email_reply_trimmer/embedded_email_dutch_2.txt::trimmed": DISCOURSE,
    "discourse-email_reply_trimmer/embedded_email_french_1.txt::trimmed": DISCOURSE,
    "discourse-email_reply_trimmer/embedded_email_french_2.txt::trimmed": DISCOURSE,
    "discourse-email_reply_trimmer/embedded_email_german_1.txt::trimmed": DISCOURSE,
    "discourse-email_reply_trimmer/embedded_email_german_3.txt::trimmed": DISCOURSE,
    "discourse-email_reply_trimmer/embedded_email_german_4.txt::trimmed": DISCOURSE,
    "discourse-email_reply_trimmer/embedded_email_german_5.txt::trimmed": DISCOURSE,
    "discourse-email_reply_trimmer/embedded_email_norwegian.txt::trimmed": DISCOURSE,
    "discourse-email_reply_trimmer/embedded_email_polish_2.txt::trimmed": DISCOURSE,
    "discourse-email_reply_trimmer/embedded_email_portuguese.txt::trimmed": DISCOURSE,
    "discourse-email_reply_trimmer/embedded_email_quote_text.txt::trimmed": DISCOURSE,
    "discourse-email_reply_trimmer/embedded_email_russian_2.txt::trimmed": DISCOURSE,
    "discourse-email_reply_trimmer/embedded_email_spanish_1.txt::trimmed": DISCOURSE,
    "discourse-email_reply_trimmer/embedded_email_spanish_2.txt::trimmed": DISCOURSE,
    "discourse-email_reply_trimmer/embedded_email_swedish.txt::trimmed": DISCOURSE,
    "discourse-email_reply_trimmer/embedded_email_ukrainian.txt::trimmed": DISCOURSE,
    "discourse-email_reply_trimmer/forwarded_apple.txt::trimmed": DISCOURSE,
    "discourse-email_reply_trimmer/forwarded_gmail.txt::trimmed": DISCOURSE,
    "discourse-email_reply_trimmer/forwarded_message.txt::trimmed": DISCOURSE,
    "discourse-email_reply_trimmer/retains_spaces_and_formatting.txt::trimmed": DISCOURSE,
    "discourse-email_reply_trimmer/signatures.txt::trimmed": DISCOURSE,
    "discourse-email_reply_trimmer/spam_1.txt::trimmed": DISCOURSE,
    "github-email_reply_parser/email_2_1.txt::visible_text": GITHUB,
    "github-email_reply_parser/email_2_2.txt::visible_text": GITHUB,
    "github-email_reply_parser/email_bullets.txt::visible_text": GITHUB,
    "github-email_reply_parser/email_sent_from_my_not_signature.txt::visible_text": GITHUB,
    "crisp-email-reply-parser/email_1.txt::parse_reply": CRISP,
    "crisp-email-reply-parser/email_10.txt::first_fragment_trimmed": CRISP,
    "crisp-email-reply-parser/email_11.txt::first_fragment_trimmed": CRISP,
    "crisp-email-reply-parser/email_14.txt::first_fragment_trimmed": CRISP,
    "crisp-email-reply-parser/email_15.txt::first_fragment_trimmed": CRISP,
    "crisp-email-reply-parser/email_17.txt::first_fragment_trimmed": CRISP,
    "crisp-email-reply-parser/email_22.txt::first_fragment_trimmed": CRISP,
    "crisp-email-reply-parser/email_23.txt::first_fragment_trimmed": CRISP,
    "crisp-email-reply-parser/email_24.txt::first_fragment_trimmed": CRISP,
    "crisp-email-reply-parser/email_25.txt::first_fragment_trimmed": CRISP,
    "crisp-email-reply-parser/email_26.txt::first_fragment_trimmed": CRISP,
    "crisp-email-reply-parser/email_8.txt::first_fragment_trimmed": CRISP,
    "crisp-email-reply-parser/email_9.txt::first_fragment_trimmed": CRISP,
    "crisp-email-reply-parser/email_danish_dash_separator.txt::first_fragment_trimmed": CRISP,
    "crisp-email-reply-parser/email_finnish.txt::first_fragment_trimmed": CRISP,
    "crisp-email-reply-parser/email_fr_multiline.txt::first_fragment_trimmed": CRISP,
    "crisp-email-reply-parser/email_french_dash_separator.txt::first_fragment_trimmed": CRISP,
    "crisp-email-reply-parser/email_german_3.txt::first_fragment_trimmed": CRISP,
    "crisp-email-reply-parser/email_german_outlook.txt::first_fragment_trimmed": CRISP,
    "crisp-email-reply-parser/email_ios_outlook.txt::first_fragment_trimmed": CRISP,
    "crisp-email-reply-parser/email_ios_outlook_fr.txt::first_fragment_trimmed": CRISP,
    "crisp-email-reply-parser/email_italian.txt::first_fragment_trimmed": CRISP,
    "crisp-email-reply-parser/email_msn.txt::first_fragment_trimmed": CRISP,
    "crisp-email-reply-parser/email_norwegian_gmail.txt::first_fragment_trimmed": CRISP,
    "crisp-email-reply-parser/email_outlook_split_line_from.txt::first_fragment_trimmed": CRISP,
    "crisp-email-reply-parser/email_portuguese.txt::first_fragment_trimmed": CRISP,
    "crisp-email-reply-parser/email_sent_from.txt::parse_reply": CRISP,
    "mail-parser-reply/email_sent_from_not_signature.txt::first_reply_body": MPR,
    "mailgun-talon/html_replies/ms_outlook_2003.html::reply_text": TALON,
    "mailgun-talon/html_replies/ms_outlook_2007.html::reply_text": TALON,
    "mailgun-talon/html_replies/ms_outlook_2010.html::reply_text": TALON,
    "mailgun-talon/html_replies/windows_mail.html::reply_text": TALON,
    "mailgun-talon/standard_replies/android.eml::reply_text": TALON,
    "mailgun-talon/standard_replies/iphone.eml::reply_text": TALON,
    "mailgun-talon/standard_replies/sparrow.eml::reply_text": TALON,
    "mailgun-talon/standard_replies/thunderbird.eml::reply_text": TALON,
}

CHECKS = corpus.checks()

# Whole messages that may end in quarantine: each breaks a documented cap or is not an email.
MAY_QUARANTINE = {
    "cpython-test_email/msg_19.txt": "a mailing-list digest body without headers",
    "enmime/testdata/mail/erroneous.raw": "no headers",
    "mailgun-flanker/enclosed-endless.eml": "over 200 MIME parts (or 5 s)",
    "mailgun-flanker/long-header.eml": "headers over 64 KiB",
    "mimekit/messages/stack-overflow.txt": "headers over 64 KiB",
    "php-mime-mail-parser/issue408.eml": "over 200 MIME parts",
    "spamscope-mail-parser/mail_outlook_1": "an Outlook .msg file, not MIME",
    "zbateson-mail-mime-parser/README.md": "a README, not a message",
    "cpython-test_email/mailbox_01.mbox:1": "an empty message in the mbox",
    "mimekit/mbox/unmunged.mbox.txt:0": "an mbox entry without headers",
}


@pytest.mark.django_db
def test_every_corpus_message_ingests_without_an_exception(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR)
    box = make_mailbox()
    counts: dict[str, int] = {}
    quarantined: dict[str, str] = {}
    started = time.monotonic()
    messages: list[tuple[str, bytes]] = [(path, corpus.raw(path)) for path in corpus.files("rfc822")]
    for path in corpus.files("mbox"):
        box_file = mailbox.mbox(str(corpus.corpora() / path), create=False)
        try:
            messages.extend((f"{path}:{i}", box_file.get_bytes(key)) for i, key in enumerate(box_file.keys()))
        finally:
            box_file.close()
    assert len(messages) > 750
    for source, raw in messages:
        out = ingest(raw, source=source, mailbox=box)
        counts[out.outcome] = counts.get(out.outcome, 0) + 1
        if out.outcome == "duplicate":
            # Corpus files that share a Message-ID (the same sample with other line endings):
            # ingest dedupes them, so parse the bytes here to be sure they would not crash it.
            try:
                parse(raw)
            except Unparseable:
                pass
        if out.outcome == "quarantined":
            quarantined[source] = out.reason
            assert out.reason, source
    report = "\n".join(f"{k}: {v}" for k, v in sorted(quarantined.items()))
    print(f"corpus outcomes: {counts} in {time.monotonic() - started:.1f}s\nquarantined:\n{report}")
    # No parser defect ("parser error: ...") and no processing error on any message.
    assert not [s for s, r in quarantined.items() if r.startswith(("parser error", "error:"))], report
    # Mail without a usable sender (no From at all, or an address the contacts refuse, such as
    # "bob@extern") is kept in quarantine for an agent: there is nobody to answer.
    no_sender = ("no sender address", "refused: ")
    unexpected = {
        s: r
        for s, r in quarantined.items()
        if s not in MAY_QUARANTINE
        and "malformed" not in corpus.tags(s.partition(":")[0])
        and not r.startswith(no_sender)
    }
    assert not unexpected, report
    assert len(quarantined) <= 45, report
    assert counts.get("bounce", 0) >= 200
    assert counts.get("created", 0) + counts.get("threaded", 0) >= 350


@pytest.mark.parametrize("check", CHECKS, ids=[c.id for c in CHECKS])
def test_expected_value(check: corpus.Check) -> None:
    matches, got = check.matches()
    reason = KNOWN_DIFFERENCES.get(check.id)
    if reason is None:
        assert matches, f"{check.id}: expected {check.expected!r}, Zabota gives {got!r}"
    else:
        assert not matches, f"{check.id} now matches the source; drop it from KNOWN_DIFFERENCES ({reason})"


def test_known_differences_name_real_checks() -> None:
    ids = {c.id for c in CHECKS}
    assert set(KNOWN_DIFFERENCES) <= ids


@pytest.mark.parametrize(
    "path", ["github-email_reply_parser/pathological.txt", "github-email_reply_parser/email_long_quote.txt"]
)
def test_reply_parsing_is_fast_on_performance_traps(path: str) -> None:
    from zabota.channels.email import quotes

    started = time.monotonic()
    quotes.new_text(corpus.body_text(path))
    assert time.monotonic() - started < 5
