"""`ringback doctor`: reading payloads, every provider fixture, JSON output, exit codes, masking."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from ringback.core import secrets
from ringback.core.cli.app import app
from ringback.core.correlation import Provider, extract_correlation
from ringback.core.correlation.diagnosis import advice as doctor_advice
from ringback.core.correlation.diagnosis.model import DoctorReport

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "correlation"
GUIDE = ROOT / "docs" / "correlation.md"

RESULT = "9f1c2a7e4b3d4e5f8a6b7c8d9e0f1a2b"
RUN = "01JQ8ZK6M4XB7C9D0EFGH3JKMN"
CALL_SID = "CA3ae75ffe1c5d8847e478556c07d07103"

# fixture -> (provider detected, SIP Call-ID found); every one links, so doctor exits 0
FIXTURE_CASES: dict[str, tuple[Provider, bool]] = {
    "daily_dialin_settings.json": (Provider.DAILY, False),
    "daily_dialin_webhook.json": (Provider.DAILY, False),
    "exotel_stream_start.json": (Provider.EXOTEL, False),
    "freeswitch_esl_event.json": (Provider.FREESWITCH, True),
    "generic_bridged_x_cid.json": (Provider.GENERIC, True),
    "generic_custom_headers.json": (Provider.GENERIC, True),
    "generic_pipecat_call_data.json": (Provider.GENERIC, True),
    "generic_sip_headers.json": (Provider.GENERIC, True),
    "jambonz_call_hook.json": (Provider.JAMBONZ, True),
    "jambonz_session_new.json": (Provider.JAMBONZ, True),
    "livekit_inbound_attributes.json": (Provider.LIVEKIT, True),
    "livekit_outbound_attributes.json": (Provider.LIVEKIT, True),
    "plivo_answer.txt": (Provider.PLIVO, False),
    "plivo_stream_start.json": (Provider.PLIVO_STREAM, False),
    "telnyx_call_initiated.json": (Provider.TELNYX, False),
    "telnyx_stream_start.json": (Provider.TELNYX_STREAM, False),
    "twilio_media_stream_start.json": (Provider.TWILIO_STREAM, True),
    "twilio_voice_webhook.txt": (Provider.TWILIO, True),
    "vonage_answer.json": (Provider.VONAGE, False),
}

runner = CliRunner()


def doctor(*args: str, stdin: str | bytes | None = None) -> Result:
    return runner.invoke(app, ["doctor", *args], input=stdin)


def as_report(result: Result) -> DoctorReport:
    return DoctorReport.model_validate_json(result.stdout)


# --- every provider fixture ----------------------------------------------------------------


def test_every_fixture_has_a_case() -> None:
    assert sorted(p.name for p in FIXTURES.iterdir()) == sorted(FIXTURE_CASES)


@pytest.mark.parametrize("name", sorted(FIXTURE_CASES))
def test_fixture_report_shows_what_extract_correlation_finds(name: str) -> None:
    provider, has_call_id = FIXTURE_CASES[name]
    path = FIXTURES / name
    corr = extract_correlation(path.read_bytes())
    result = doctor(str(path), "--json")
    assert result.exit_code == 0, result.output
    report = as_report(result)
    assert report.provider == report.detected_provider == provider.value
    assert not report.provider_given
    assert report.format == ("form" if name.endswith(".txt") else "json")
    assert report.guide == f"docs/correlation.md#{doctor_advice.ADVICE[provider].anchor}"
    assert (report.sip_call_id is not None) is has_call_id
    assert report.sip_call_id == corr.sip_call_id
    assert report.sip_call_id_source == corr.sources.get("sip_call_id")
    assert {h.name: (h.value, h.source) for h in report.headers} == {
        name: (value, corr.sources[name]) for name, value in corr.sip_headers.items()
    }
    assert {n.key: n.value for n in report.native_ids} == corr.native_ids
    assert report.warnings == list(corr.warnings)
    assert {i.name: i.value for i in report.ids} == {
        f: getattr(corr, f) for f in ("run_id", "scenario_id", "result_id") if getattr(corr, f)
    }
    (check,) = report.checks
    assert check.subject == "link"
    assert check.ok
    assert check.found == (corr.sip_call_id or corr.result_id)


@pytest.mark.parametrize("name", sorted(FIXTURE_CASES))
def test_fixture_text_report(name: str) -> None:
    provider, has_call_id = FIXTURE_CASES[name]
    path = FIXTURES / name
    corr = extract_correlation(path.read_bytes())
    result = doctor(str(path))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"Provider:    {provider.value} (detected)\n" in out
    if has_call_id:
        assert f"SIP Call-ID: {corr.sip_call_id}  (from {corr.sources['sip_call_id']})" in out
    else:
        assert "SIP Call-ID: none\n" in out
    for header, value in corr.sip_headers.items():
        assert re.search(rf"^  {re.escape(header)} +{re.escape(value)}  \(from ", out, re.M)
    for key, value in corr.native_ids.items():
        assert re.search(rf"^  {re.escape(key)} +{re.escape(value)}", out, re.M)
    for warning in corr.warnings:
        assert f"  - {warning}\n" in out
    assert out.rstrip().endswith("Result: OK (1 check passed)")


@pytest.mark.parametrize("name", sorted(FIXTURE_CASES))
def test_fixture_meets_expectations_built_from_it(name: str) -> None:
    path = FIXTURES / name
    corr = extract_correlation(path.read_bytes())
    args = [f"--expect-header={h}={v}" for h, v in corr.sip_headers.items()]
    if corr.sip_call_id:
        args.append(f"--expect-call-id={corr.sip_call_id}")
    result = doctor(str(path), "--json", *args)
    assert result.exit_code == 0, result.output
    report = as_report(result)
    assert len(report.checks) == len(args)
    assert all(c.ok for c in report.checks)


# --- input forms ---------------------------------------------------------------------------


@pytest.mark.parametrize("args", [["-"], []], ids=["dash", "no-argument"])
def test_stdin_reads_the_same_as_a_file(args: list[str]) -> None:
    path = FIXTURES / "twilio_voice_webhook.txt"
    from_file = as_report(doctor(str(path), "--json"))
    result = doctor(*args, "--json", stdin=path.read_bytes())
    assert result.exit_code == 0, result.output
    from_stdin = as_report(result)
    assert from_stdin.input == "-"
    assert from_stdin.model_dump(exclude={"input"}) == from_file.model_dump(exclude={"input"})


def test_form_encoded_webhook() -> None:
    form = (
        f"CallSid={CALL_SID}&SipCallId=7f3a9c21%40198.51.100.7"
        f"&SipHeader_X-Run-Id={RUN}&SipHeader_X-Result-Id={RESULT}&From=%2B14155550123"
    )
    result = doctor("-", "--expect-header", f"X-Result-Id={RESULT}", stdin=form)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Payload:     - (form)\n" in out
    assert "Provider:    twilio (detected)\n" in out
    assert "SIP Call-ID: 7f3a9c21@198.51.100.7  (from twilio:SipCallId)\n" in out
    assert re.search(rf"^  X-Run-Id +{RUN}  \(from twilio:SipHeader_X-Run-Id\)$", out, re.M)
    assert re.search(rf"^  twilio.CallSid +{CALL_SID}  \(a Twilio CallSid\)$", out, re.M)
    assert "  PASS  X-Result-Id = " + RESULT in out


def test_livekit_participant_attributes() -> None:
    attributes = {
        "sip.callID": "SCL_7xQm2KpR9vTb",
        "sip.callIDFull": "6e1b2f0c@203.0.113.45",
        "sip.h.x-run-id": RUN,
        "sip.h.X-Customer-Tier": "premium",
    }
    result = doctor("--expect-header", "x-customer-tier=premium", stdin=json.dumps(attributes))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Provider:    livekit (detected)\n" in out
    assert "SIP Call-ID: 6e1b2f0c@203.0.113.45  (from livekit:sip.callIDFull)\n" in out
    assert re.search(
        r"^  X-Customer-Tier +premium  \(from livekit:sip.h.X-Customer-Tier\)$", out, re.M
    )
    assert re.search(r"^  livekit.sip.callID +SCL_7xQm2KpR9vTb  \(LiveKit", out, re.M)
    assert "Warnings:    none\n" in out
    assert "  PASS  X-Customer-Tier = premium\n" in out


LIVEKIT_ATTRIBUTES = {
    "sip.callID": "SCL_7xQm2KpR9vTb",
    "sip.callIDFull": "6e1b2f0c@203.0.113.45",
    "sip.h.x-result-id": RESULT,
}
PARTICIPANT = {"sid": "PA_x", "identity": "sip_+14155550123", "attributes": LIVEKIT_ATTRIBUTES}
WEBHOOK = {"event": "participant_joined", "room": {"name": "call-1"}, "participant": PARTICIPANT}


@pytest.mark.parametrize(
    ("payload", "path"),
    [(PARTICIPANT, "attributes"), (WEBHOOK, "participant.attributes")],
    ids=["participant", "participant_joined"],
)
def test_livekit_participant_objects_and_webhooks(payload: dict[str, Any], path: str) -> None:
    for args in ([], ["--provider", "livekit"]):
        result = doctor(
            *args, "--expect-call-id", "6e1b2f0c@203.0.113.45", stdin=json.dumps(payload)
        )
        assert result.exit_code == 0, result.output
        out = result.stdout
        assert f"; participant attributes read from {path})\n" in out
        assert f"SIP Call-ID: 6e1b2f0c@203.0.113.45  (from livekit:{path}.sip.callIDFull)\n" in out
        assert re.search(
            rf"^  X-Result-Id +{RESULT}  \(from livekit:{path}.sip.h.x-result-id\)", out, re.M
        )
        report = as_report(doctor(*args, "--json", stdin=json.dumps(payload)))
        assert (report.provider, report.detected_provider, report.read_from) == (
            "livekit",
            "livekit",
            path,
        )
        assert report.ok
    # extract_correlation reads them the same way
    corr = extract_correlation(payload)
    assert corr.provider == "livekit"
    assert corr.sip_call_id == "6e1b2f0c@203.0.113.45"
    assert corr.native_ids == {"livekit.sip.callID": "SCL_7xQm2KpR9vTb"}


def test_plain_attributes_are_read_at_the_top_level() -> None:
    report = as_report(doctor("--json", stdin=json.dumps(LIVEKIT_ATTRIBUTES)))
    assert report.read_from is None
    assert report.sip_call_id_source == "livekit:sip.callIDFull"


def test_provider_can_be_forced() -> None:
    path = FIXTURES / "plivo_answer.txt"
    result = doctor(str(path), "--provider", "TWILIO", "--json")
    report = as_report(result)
    assert (report.provider, report.detected_provider, report.provider_given) == (
        "twilio",
        "plivo",
        True,
    )
    assert report.guide == "docs/correlation.md#twilio-voice-webhook"
    assert report.headers == []  # the Twilio reader does not read X-PH-* parameters
    assert result.exit_code == 1
    text = doctor(str(path), "--provider", "twilio").stdout
    assert "Provider:    twilio (given; the payload looks like plivo)\n" in text


def test_an_unknown_provider_is_a_usage_error() -> None:
    result = doctor(str(FIXTURES / "plivo_answer.txt"), "--provider", "skype")
    assert result.exit_code == 2
    flat = re.sub(r"[\s│]", "", result.output)  # the error box may wrap anywhere
    assert "'skype'isnotoneof" in flat
    assert "'twilio_stream'" in flat


# --- unreadable input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ("", "the payload is empty"),
        ("  \n\t", "the payload is empty"),
        ("just some words", "neither a JSON object nor a URL-encoded form"),
        ('{"CallSid": ', "looks like JSON but does not parse"),
        ("[1, 2]", "is JSON list, not an object"),
        (b"\xff\xfe{}", "not UTF-8 text"),
    ],
)
def test_unreadable_stdin_exits_2(stdin: str | bytes, message: str) -> None:
    result = doctor("-", stdin=stdin)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")
    assert message in result.stderr
    assert "reads a JSON object" in result.stderr  # says what would be readable


def test_missing_file_exits_2(tmp_path: Path) -> None:
    result = doctor(str(tmp_path / "nope.json"))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "no such file" in result.stderr
    assert "- to read it from stdin" in result.stderr


def test_a_folder_exits_2(tmp_path: Path) -> None:
    result = doctor(str(tmp_path), "--json")
    assert result.exit_code == 2
    assert "it is a folder" in result.stderr


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("Customer-Tier=gold", "rename it to 'X-Customer-Tier'"),
        ("X-Customer-Tier=", "has '=' but no value"),
        ("X-Bad Name=1", "characters a SIP header name cannot hold"),
    ],
)
def test_bad_expect_header_is_a_usage_error(option: str, message: str) -> None:
    result = doctor(str(FIXTURES / "vonage_answer.json"), "--expect-header", option)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: --expect-header: ")
    assert message in result.stderr


def test_an_empty_expected_call_id_is_a_usage_error() -> None:
    result = doctor(str(FIXTURES / "vonage_answer.json"), "--expect-call-id", " ")
    assert result.exit_code == 2
    assert result.stderr == "error: --expect-call-id is empty: give the Call-ID to expect\n"


# --- JSON shape ----------------------------------------------------------------------------


def test_json_shape_is_stable() -> None:
    path = FIXTURES / "twilio_media_stream_start.json"
    result = doctor(str(path), "--json", "--expect-call-id", "other@192.0.2.1")
    assert result.exit_code == 1
    data: dict[str, Any] = json.loads(result.stdout)
    assert list(data) == [
        "input",
        "format",
        "provider",
        "detected_provider",
        "provider_given",
        "read_from",
        "guide",
        "sip_call_id",
        "sip_call_id_source",
        "headers",
        "ids",
        "parties",
        "native_ids",
        "warnings",
        "checks",
        "ok",
        "exit_code",
    ]
    assert data["ok"] is False
    assert data["exit_code"] == 1
    assert list(data["headers"][0]) == ["name", "value", "source", "masked"]
    assert list(data["native_ids"][0]) == ["key", "value", "kind"]
    (check,) = data["checks"]
    assert list(check) == [
        "subject",
        "expected",
        "found",
        "source",
        "ok",
        "problem",
        "label",
        "detail",
        "fix",
        "see",
    ]
    assert check["problem"] == "different_call_id"
    assert DoctorReport.model_validate(data).model_dump(mode="json") == data


# --- secrets -------------------------------------------------------------------------------


SECRET_PAYLOAD = {
    "sip.callIDFull": "9a8b7c6d@203.0.113.45",
    "sip.h.x-auth-token": "abc123xyz",
    "sip.h.x-api-key": "k-0f9e8d7c6b5a",
    "sip.h.x-db-password": "hunter2hunter2",
    "sip.h.x-customer-tier": "premium",
}
SECRET_PAYLOAD.update(
    {"sip.h.x-webhook-signature": "sig-5e4d3c2b1a", "sip.h.x-session-token": "sess-7f6e5d4c"}
)
SECRETS = ("abc123xyz", "k-0f9e8d7c6b5a", "hunter2hunter2", "sig-5e4d3c2b1a", "sess-7f6e5d4c")


def test_secret_looking_headers_are_masked_in_text_and_json() -> None:
    text = doctor(stdin=json.dumps(SECRET_PAYLOAD))
    as_json = doctor("--json", stdin=json.dumps(SECRET_PAYLOAD))
    assert text.exit_code == as_json.exit_code == 0
    for secret in SECRETS:
        assert secret not in text.output
        assert secret not in as_json.output
    assert re.search(r"^  X-Auth-Token +\*\*\* \(9 chars\)  \(from ", text.stdout, re.M)
    assert re.search(r"^  X-Customer-Tier +premium  ", text.stdout, re.M)
    headers = {h.name: h for h in as_report(as_json).headers}
    assert headers["X-Api-Key"].value == "*** (14 chars)"
    assert headers["X-Api-Key"].masked
    assert headers["X-Db-Password"].masked
    assert headers["X-Webhook-Signature"].value == "*** (14 chars)"
    assert headers["X-Session-Token"].masked
    assert headers["X-Customer-Tier"].value == "premium"
    assert not headers["X-Customer-Tier"].masked


def test_secret_expectations_compare_real_values_and_print_neither() -> None:
    right = doctor("--expect-header", "X-Auth-Token=abc123xyz", stdin=json.dumps(SECRET_PAYLOAD))
    assert right.exit_code == 0
    assert "PASS  X-Auth-Token = *** (9 chars)" in right.stdout
    wrong = doctor(
        "--json", "--expect-header", "X-Auth-Token=guessed", stdin=json.dumps(SECRET_PAYLOAD)
    )
    assert wrong.exit_code == 1
    assert "abc123xyz" not in wrong.output
    assert "guessed" not in wrong.output
    (check,) = as_report(wrong).checks
    assert check.problem == "header_wrong_value"
    assert (check.expected, check.found) == ("*** (7 chars)", "*** (9 chars)")


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("X-Auth-Token", True),
        ("x-authorization", True),
        ("X-Session-TOKEN", True),
        ("X-Client-Secret", True),
        ("X-Password", True),
        ("X-Api-Key", True),
        ("X-Webhook-Signature", True),
        ("X-Session-Id", True),
        ("X-Credentials", True),
        ("X-Api-Pass", True),
        ("X-Pin", True),
        ("X-User-PIN", True),
        ("X-Shipping-Method", False),
        ("X-Bearer", True),
        ("X-Customer-Tier", False),
        ("X-Result-Id", False),
        ("X-CID", False),
    ],
)
def test_secret_names(name: str, secret: bool) -> None:
    assert doctor_advice.is_secret_name(name) is secret
    assert secrets.is_secret_name(name) is secret  # one list for doctor, verify and run


def test_more_secret_words_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not secrets.is_secret_name("X-Acme-Otp")
    monkeypatch.setenv("RINGBACK_SECRET_HEADERS", " OTP , member-code")
    assert secrets.is_secret_name("X-Acme-Otp")
    assert secrets.is_secret_name("X-Member-Code")
    assert not secrets.is_secret_name("X-Customer-Tier")
    assert secrets.masked({"X-Acme-Otp": "123456", "X-Tier": "gold"}) == {
        "X-Acme-Otp": "***",
        "X-Tier": "gold",
    }


# --- guide, advice and the real command ---------------------------------------------------


def _anchors(markdown: str) -> set[str]:
    return {
        re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        for heading in re.findall(r"^#{1,6} (.+)$", markdown, flags=re.M)
    }


def test_every_link_the_advice_gives_exists_in_the_guide() -> None:
    """Doctor's and verify's links alike: both take them from the one advice table."""
    anchors = _anchors(GUIDE.read_text())
    assert "diagnose-a-payload-ringback-doctor" in anchors
    assert set(doctor_advice.ADVICE) == set(Provider)
    used = {
        *(about.anchor for about in doctor_advice.ADVICE.values()),
        *(anchor for about in doctor_advice.ADVICE.values() for anchor in about.hop_anchors),
        doctor_advice.RULES_SECTION,
        doctor_advice.NAMES_SECTION,
    }
    assert used <= anchors


ADVICE_CASES: dict[Provider, tuple[str, str]] = {
    # provider -> (words of the Call-ID advice, words of the X-Tier header advice)
    Provider.LIVEKIT: ("sip.callIDFull", "include_headers: SIP_X_HEADERS"),
    Provider.TWILIO: ("Twilio SIP domain", "SipHeader_X-Tier parameter"),
    Provider.TWILIO_STREAM: (
        '<Parameter name="SipCallId"',
        '<Parameter name="X-Tier" value="{{SipHeader_X-Tier}}"/>',
    ),
    Provider.TELNYX: ("X-Result-Id / X-Correlation-Id", "data.payload.custom_headers"),
    Provider.TELNYX_STREAM: ("X-Result-Id / X-Correlation-Id", "Pass X-Tier as a custom"),
    Provider.PLIVO: ("alphanumeric X-Correlation-Id", "X-PH-<Name>"),
    Provider.PLIVO_STREAM: ("alphanumeric X-Correlation-Id", 'X-Tier to <Stream extraHeaders="'),
    Provider.EXOTEL: ("X-Result-Id / X-Correlation-Id", "X-Tier as a query parameter"),
    Provider.JAMBONZ: ("sbc_callid", "POST or websocket call hook"),
    Provider.DAILY: ("X-Result-Id / X-Correlation-Id", "sipHeaders"),
    Provider.VONAGE: ("X-Result-Id / X-Correlation-Id", "SipHeader_X-Tier parameter"),
    Provider.FREESWITCH: ("variable_sip_call_id", "set sip_h_X-Tier before the bridge"),
    Provider.GENERIC: ("RingbackObserver(sip_call_id=...)", "put X-Tier at the top level"),
}


@pytest.mark.parametrize("provider", list(Provider))
def test_every_provider_has_advice_for_the_call_id_headers_and_hops(provider: Provider) -> None:
    call_id, header = ADVICE_CASES[provider]
    about = doctor_advice.advice_for(provider.value)
    assert about is doctor_advice.ADVICE[provider]
    assert call_id in about.call_id
    assert header in about.header_fix("X-Tier")
    assert ("sbc_callid" if provider is Provider.JAMBONZ else "as an X-CID header") in about.hop


def test_an_unknown_provider_gets_the_generic_advice() -> None:
    generic = doctor_advice.ADVICE[Provider.GENERIC]
    assert doctor_advice.advice_for(None) is doctor_advice.advice_for("asterisk") is generic
    assert doctor_advice.advice_for("Twilio-Stream").anchor == "twilio-media-streams"


def test_the_installed_command_runs() -> None:
    script = Path(sys.executable).with_name("ringback")
    payload = (FIXTURES / "livekit_inbound_attributes.json").read_bytes()
    ok = subprocess.run(
        [
            str(script),
            "doctor",
            "--expect-call-id",
            "6e1b2f0c4b7e4c0f9a3d8e5b2c1f0a9d@203.0.113.45",
        ],
        input=payload,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert b"PASS  Call-ID = 6e1b2f0c4b7e4c0f9a3d8e5b2c1f0a9d@203.0.113.45" in ok.stdout
    missing = subprocess.run(
        [str(script), "doctor", str(FIXTURES / "missing.json")],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert missing.returncode == 2
    assert missing.stderr.startswith(b"error: cannot read ")


def test_the_readme_names_every_secret_word() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    start = readme.index("Wherever Ringback shows an X- header")
    said = readme[start : readme.index("RINGBACK_SECRET_HEADERS", start)]
    assert [w for w in (*secrets.SECRET_WORDS, *secrets.SECRET_PARTS) if f"`{w}`" not in said] == []
