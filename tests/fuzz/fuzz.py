#!/usr/bin/env python3
"""Fuzzing as every role (issue 22): schemathesis once per role, over a world
seeded first through the API, so that path parameters name the role's real
resources instead of random ids that only ever meet 404.

    python3 tests/fuzz/fuzz.py --base-url http://127.0.0.1:8080 \\
        --hrss-password … --st /path/to/venv/bin/st --work /tmp/dir

The server must have the second factor off (MFA_REQUIRED=false) and the
per-address limits lifted (as `.ci/run` starts it). Standard library only.

1. Seeds the world as an integrator would, through the API only: hrss
   signs in; a province authority (nursing) applies and hrss approves it, it
   publishes a catalogue course; a provider registers, the authority
   qualifies it, it adds a teacher, drafts a plan, and a second plan is
   approved, filed and given a class a learner enrols in; a unit's admin
   registers the unit, adds a verified person (an accountant) whose
   exam subject the province's finance department records — which issues a certificate
   and fires the unit's webhook; hrss creates a platform, which pushes the
   person's public hours; plus a credit finding, a notice, an evaluator, a
   base claim, an attachment, a pending invitation, and one victim per
   operation that removes what its path names. `world.json` in --work.
2. Writes one schemathesis config per role under --work: the hand-written
   `schemathesis.toml` (its 422 allowances and disabled operations) with
   each operation's path parameters fixed to that role's resources.
3. Runs schemathesis once per role, each with a token signed in just before
   its run (access tokens live 15 minutes), its own fixed seed and every
   check (--max-examples for hrss, as CI always ran it; --role-max-examples
   for the others, to keep the six runs within CI's budget), over the
   role's operations: those the authorization matrix
   (`tests/authz.csv`) lets it through (`2xx` or `ok`); hrss runs every
   operation, as before. Runs go person, unit admin, provider admin,
   authority, platform, hrss: each later role may change what an earlier
   one works on (the authority reviews the plan the provider submitted;
   hrss revokes the certificate), never the reverse.
   What could end a run's own access or spoil the world is kept out of
   reach: sign-out is disabled for every role (schemathesis.toml); an
   operation that removes what its path names gets a victim of its own
   per run (a unit admin removes a second admin, never itself; hrss
   revokes a second platform, not the one that pushes); a reissue or a
   revocation gets a certificate of its own; hrss, whose sign-in fuzzing
   may lock the accounts it names, runs last.
4. Prints per role the share of its operations that answered 2xx at least
   once and the calls by status class (from each run's HAR report), and
   exits non-zero if any run failed.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import random
import re
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Fuzz-Passw0rd-9"
SERIES = "nursing"
COURSE = "护理安全管理"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n%%EOF\n"

# The order of the runs, each role's matrix column and its fixed seed.
ROLES = [
    ("person", "person", 20261201),
    ("unit_admin", "unit_admin", 20261202),
    ("provider_admin", "provider_admin", 20261203),
    ("authority", "authority", 20261204),
    ("platform", "platform", 20261205),
    ("hrss", "hrss", 20261127),
]


def say(what: str) -> None:
    print(f"[fuzz] {what}", flush=True)


# --- HTTP -------------------------------------------------------------------


class Api:
    def __init__(self, base: str, token: str | None = None):
        self.base = base.rstrip("/")
        self.token = token

    def call(self, method: str, path: str, body=None, *, raw: bytes | None = None,
             content_type: str | None = None, form: dict | None = None, expect=(200, 201, 202, 204)):
        url = self.base + ("" if path.startswith("/health") else "/api/v1") + path
        data = None
        headers = {"accept": "application/json, application/problem+json"}
        if raw is not None:
            data, headers["content-type"] = raw, content_type or "application/octet-stream"
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["content-type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data, headers["content-type"] = json.dumps(body).encode(), "application/json"
        if self.token:
            headers["authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=60) as res:
                status, text = res.status, res.read().decode()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read().decode()
        if status not in expect:
            raise SystemExit(f"[fuzz] seeding failed: {method} {path}: HTTP {status}: {text[:500]}")
        return json.loads(text) if text.strip() else None



def id_card_no() -> str:
    """A valid resident ID number (GB 11643) with a random birth date and sequence."""
    birth = datetime.date(1960, 1, 1) + datetime.timedelta(days=random.randrange(35 * 365))
    body = f"440106{birth:%Y%m%d}{random.randrange(1000):03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(body, weights, strict=True))
    return body + "10X98765432"[total % 11]


def credit_code() -> str:
    """A valid unified social credit code (GB 32100) with a random body."""
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    body = "91440101" + "".join(random.choice(chars) for _ in range(9))
    total = sum(chars.index(c) * w for c, w in zip(body, weights, strict=True))
    return body + chars[(31 - total % 31) % 31]


def phone_no() -> str:
    return f"139{random.randrange(10**8):08d}"


def today() -> datetime.date:
    """Today in China time, where the API's dates and years are."""
    return datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8))).date()


# --- seeding ----------------------------------------------------------------


class Seeder:
    def __init__(self, base: str, hrss_password: str):
        self.base = base
        self.anon = Api(base)
        self.hrss_password = hrss_password
        self.hrss = Api(base, self.login("hrss-admin", hrss_password))
        self.accounts: dict[str, dict] = {}
        self.ids: dict[str, str] = {}

    def login(self, account: str, password: str) -> str:
        answer = self.anon.call("POST", "/auth/login", {"account": account, "password": password})
        if "access_token" not in answer:
            raise SystemExit(f"[fuzz] login as {account} asked for a second factor: is MFA_REQUIRED=false?")
        return answer["access_token"]

    def person(self, name: str = "张三", verified: bool = False) -> tuple[Api, dict]:
        """A registered, signed-in person (real-name verified if asked)."""
        idno, phone = id_card_no(), phone_no()
        me = self.anon.call("POST", "/auth/register",
                            {"name": name, "id_card_no": idno, "phone": phone, "password": PASSWORD})
        api = Api(self.base, self.login(idno, PASSWORD))
        if verified:
            api.call("POST", f"/persons/{me['person']['id']}/verification", {"name": name, "id_card_no": idno})
        return api, {"id_card_no": idno, "phone": phone, "account_id": me["id"],
                     "person_id": me["person"]["id"]}

    def seed(self) -> dict:
        year = today().year
        ids = self.ids
        ids["year"] = str(year)

        # A province authority for nursing, approved by hrss, with a course
        # in its catalogue.
        authority, who = self.person("王五")
        self.accounts["authority"] = {"account": who["id_card_no"], "password": PASSWORD}
        applied = authority.call("POST", "/authorities", {
            "name": "广东省卫生健康委员会", "level": "province", "region": "440000", "series": [SERIES]})
        self.hrss.call("POST", f"/authorities/{applied['id']}/review", {"decision": "approve"})
        ids["authority"] = applied["id"]
        authority.call("POST", f"/catalogue/{year}/courses", {"series": SERIES, "name": COURSE, "hours": 24})
        # A province-level application still pending, for hrss to decide.
        applicant, _ = self.person("钱二")
        ids["authority_pending"] = applicant.call("POST", "/authorities", {
            "name": "广东省住房和城乡建设厅", "level": "province", "region": "440000",
            "series": ["engineering"]})["id"]

        # A provider the authority qualified, with a teacher, a draft plan
        # and an approved, filed plan with a class.
        provider, who = self.person("赵六")
        self.accounts["provider_admin"] = {"account": who["id_card_no"], "password": PASSWORD}
        pv = provider.call("POST", "/providers", {"name": "广州护理培训中心", "credit_code": credit_code(),
                                                  "level": "city"})
        ids["provider"] = pv["id"]
        q = provider.call("POST", f"/providers/{pv['id']}/qualifications",
                          {"series": SERIES, "authority_id": applied["id"]})
        authority.call("POST", f"/qualifications/{q['id']}/review", {"decision": "approve"})
        ids["qualification"] = q["id"]
        teacher = provider.call("POST", f"/providers/{pv['id']}/teachers", {"name": "王老师"})
        ids["provider_teacher"] = teacher["id"]
        plan_body = {"provider_id": pv["id"], "series": SERIES, "year": year, "course_name": COURSE}
        ids["plan"] = provider.call("POST", "/course-plans", plan_body)["id"]
        approved = provider.call("POST", "/course-plans", plan_body)
        provider.call("POST", f"/course-plans/{approved['id']}/submit")
        authority.call("POST", f"/course-plans/{approved['id']}/review", {"decision": "approve"})
        self.hrss.call("POST", f"/course-plans/{approved['id']}/filing")
        ids["plan_approved"] = approved["id"]
        # Another approved plan, not filed yet: hrss's to file.
        unfiled = provider.call("POST", "/course-plans", plan_body)
        provider.call("POST", f"/course-plans/{unfiled['id']}/submit")
        authority.call("POST", f"/course-plans/{unfiled['id']}/review", {"decision": "approve"})
        ids["plan_unfiled"] = unfiled["id"]
        start = today() + datetime.timedelta(days=5)
        klass = provider.call("POST", f"/course-plans/{approved['id']}/classes", {
            "name": "第一期", "mode": "face_to_face", "start_date": str(start),
            "end_date": str(start + datetime.timedelta(days=2)), "hours": 24, "capacity": 5,
            "venue": "广州", "teacher_ids": [teacher["id"]], "head_teacher_id": teacher["id"]})
        ids["class"] = klass["id"]
        learner, _ = self.person("孙七", verified=True)
        ids["enrollment"] = learner.call("POST", f"/classes/{klass['id']}/enrollments")["id"]

        # The authority's account also runs the province's finance
        # department (accounting), whose region holds the accountants'.
        finance = authority.call("POST", "/authorities", {
            "name": "广东省财政厅", "level": "province", "region": "440000", "series": ["accounting"]})
        self.hrss.call("POST", f"/authorities/{finance['id']}/review", {"decision": "approve"})

        # A unit with its admin, a webhook of the unit's, and a verified
        # accountant the admin added, whose information collection (信息采集)
        # was in one of the department's districts; the exam subject the
        # department records (R-ACC-4: passed in Guangdong, 由省财政厅录入)
        # completes the year and issues a certificate.
        admin, who = self.person("李四")
        self.accounts["unit_admin"] = {"account": who["id_card_no"], "password": PASSWORD}
        unit = admin.call("POST", "/units", {"name": "广州市某某医院", "credit_code": credit_code()})
        ids["unit"] = unit["id"]
        hook = admin.call("POST", "/webhooks", {"url": "https://hr.example.com/ce", "unit_id": unit["id"]})
        ids["webhook"] = hook["webhook"]["id"]
        person, who = self.person("张三", verified=True)
        self.accounts["person"] = {"account": who["id_card_no"], "password": PASSWORD}
        pid = who["person_id"]
        ids["person"], ids["person_id_card"] = pid, who["id_card_no"]
        admin.call("POST", f"/units/{unit['id']}/persons", {"id_card_no": who["id_card_no"], "name": "张三"})
        person.call("PATCH", f"/persons/{pid}", {"series": ["accounting"], "series_year": year,
                                                 "region": "440104"})
        exam = {"year": year, "code": "accounting_qualification_exam_subject", "subject": "中级会计实务"}
        record = authority.call("POST", f"/persons/{pid}/accounting-exams", exam)
        ids["record_approved"] = record["id"]
        # A declaration still pending, for the admin to review and the
        # person to change.
        ids["record"] = person.call("POST", "/records", {
            "year": year, "category": "elective", "course_name": "职业道德", "hours": 10})["id"]
        deliveries = admin.call("GET", f"/webhooks/{ids['webhook']}/deliveries")
        if deliveries["items"]:
            ids["delivery"] = deliveries["items"][0]["id"]
        certs = person.call("GET", f"/certificates?person_id={pid}")
        ids["certificate"] = certs["items"][0]["id"]
        ids["number"] = certs["items"][0]["number"]
        ids["binding"] = person.call("GET", f"/persons/{pid}/bindings")["items"][0]["id"]
        ids["attachment"] = person.call("POST", "/attachments?filename=proof.pdf", raw=PDF)["id"]
        ids["base_claim"] = person.call("POST", "/base-claims", {
            "base_no": "007", "name": "广州卫生职业技术学院", "credit_code": credit_code()})["id"]
        ids["teacher"] = admin.call("POST", f"/units/{unit['id']}/teachers", {"name": "李老师"})["id"]

        # A platform (client credentials) that pushed the person's hours,
        # with a webhook of its own.
        pf = self.hrss.call("POST", "/platforms", {"name": "公需课平台", "categories": ["public"],
                                                   "series_families": ["accounting"]})
        ids["platform"] = pf["id"]
        self.accounts["platform"] = {"client_id": pf["client_id"], "client_secret": pf["client_secret"]}
        platform = Api(self.base, self.platform_token(pf["client_id"], pf["client_secret"]))
        pushed = platform.call("POST", "/records/batch", {"items": [self.push_item("fuzz-1", who)]})
        ids["batch"] = pushed["batch_id"]
        ids["platform_webhook"] = platform.call("POST", "/webhooks",
                                                {"url": "https://lms.example.com/ce"})["webhook"]["id"]

        # hrss's own: a finding, a notice, an evaluator.
        ids["credit"] = self.hrss.call("POST", "/credit-records", {
            "subject_type": "unit", "subject_id": unit["id"], "reason": "虚报学时",
            "rule": "条例 第二十七条", "severity": "minor", "found_on": str(today()), "published": True})["id"]
        ids["notice"] = self.hrss.call("POST", "/notices", {
            "kind": "notice", "title": "关于继续教育的通知", "body": "请按时完成学时。"})["id"]
        _, officer = self.person("周八")
        ids["evaluator"] = self.hrss.call("POST", "/evaluators", {
            "name": "职称评审委员会", "id_card_no": officer["id_card_no"], "series": [SERIES]})["id"]
        # A pending invitation to administer the unit: only the invitee may
        # accept, and no run signs in as the invitee.
        _, invitee = self.person("吴九")
        admin.call("POST", f"/units/{unit['id']}/admins", {"id_card_no": invitee["id_card_no"]})
        ids["invitee"] = invitee["account_id"]
        # No notice has attachments: the id only has to be well-formed.
        ids["notice_attachment"] = str(uuid.uuid4())

        # Victims: what an operation that removes its path's resource may
        # remove, so that the world's own stay for the later runs.
        # The unit admin's run and hrss's may both remove the unit's
        # members, admins, teachers and webhooks: one victim each.
        for role in ("unit_admin", "hrss"):
            _, gone = self.person("郑十")
            admin.call("POST", f"/units/{unit['id']}/persons", {"id_card_no": gone["id_card_no"], "name": "郑十"})
            ids[f"victim_unit_person_{role}"] = gone["person_id"]
            second, second_who = self.person("冯十一")
            admin.call("POST", f"/units/{unit['id']}/admins", {"id_card_no": second_who["id_card_no"]})
            second.call("POST", f"/units/{unit['id']}/admins/{second_who['account_id']}/accept")
            ids[f"victim_unit_admin_{role}"] = second_who["account_id"]
            ids[f"victim_teacher_{role}"] = admin.call("POST", f"/units/{unit['id']}/teachers",
                                                       {"name": "陈老师"})["id"]
            ids[f"victim_webhook_{role}"] = admin.call("POST", "/webhooks", {
                "url": "https://hr.example.com/old", "unit_id": unit["id"]})["webhook"]["id"]
        ids["victim_platform_webhook"] = platform.call("POST", "/webhooks",
                                                       {"url": "https://lms.example.com/old"})["webhook"]["id"]
        ids["victim_notice"] = self.hrss.call("POST", "/notices", {
            "kind": "notice", "title": "旧通知", "body": "正文"})["id"]
        _, officer2 = self.person("褚十二")
        ids["victim_evaluator"] = self.hrss.call("POST", "/evaluators", {
            "name": "评审委员会", "id_card_no": officer2["id_card_no"], "series": [SERIES]})["id"]
        untrue = platform.call("POST", "/records/batch", {"items": [self.push_item("fuzz-2", who)]})
        ids["victim_record"] = untrue["items"][0]["record_id"]
        # Certificates that a reissue or a revocation replaces, one per run
        # that may: reissuing voids the old certificate (its credential and
        # PDF answer 409 after), so the person's own stays valid for reading.
        # Each is another accountant of the unit's; the person run reissues
        # its own as that accountant (a token of its own, see write_config).
        for key in ("reissue_person", "reissue_unit_admin", "reissue_hrss", "revoke_hrss"):
            holder, holder_who, cert = self.certified(admin, authority, unit["id"], exam)
            ids[f"certificate_{key}"] = cert
            if key == "reissue_person":
                self.accounts["person_reissuer"] = {"account": holder_who["id_card_no"], "password": PASSWORD}
        ids["victim_platform"] = self.hrss.call("POST", "/platforms", {
            "name": "旧平台", "categories": ["public"], "series_families": ["accounting"]})["id"]

        self.accounts["hrss"] = {"account": "hrss-admin", "password": self.hrss_password}
        return {"accounts": self.accounts, "ids": ids}

    def certified(self, admin: Api, finance: Api, unit_id: str, exam: dict) -> tuple[Api, dict, str]:
        """A verified accountant of the unit whose exam subject, recorded by
        the province's finance department, completed the year: the person,
        and the certificate's id."""
        api, who = self.person("蒋十三", verified=True)
        admin.call("POST", f"/units/{unit_id}/persons", {"id_card_no": who["id_card_no"], "name": "蒋十三"})
        api.call("PATCH", f"/persons/{who['person_id']}", {"series": ["accounting"], "series_year": exam["year"],
                                                          "region": "440104"})
        finance.call("POST", f"/persons/{who['person_id']}/accounting-exams", exam)
        cert = api.call("GET", f"/certificates?person_id={who['person_id']}")["items"][0]["id"]
        return api, who, cert

    def platform_token(self, client_id: str, client_secret: str) -> str:
        return self.anon.call("POST", "/auth/token", form={
            "grant_type": "client_credentials", "client_id": client_id,
            "client_secret": client_secret})["access_token"]

    @staticmethod
    def push_item(ext: str, who: dict) -> dict:
        return {"external_id": ext, "id_card_no": who["id_card_no"], "name": "张三",
                "year": today().year, "category": "public", "course_name": "中国式现代化", "hours": 1,
                "completed_at": datetime.datetime.now(datetime.timezone.utc).isoformat()}


def fresh_token(base: str, account: dict) -> str:
    """A token signed in now: access tokens live 15 minutes, a run less."""
    anon = Api(base)
    if "client_id" in account:
        return anon.call("POST", "/auth/token", form={
            "grant_type": "client_credentials", "client_id": account["client_id"],
            "client_secret": account["client_secret"]})["access_token"]
    return anon.call("POST", "/auth/login", {"account": account["account"],
                                             "password": account["password"]})["access_token"]


# --- per-role configs --------------------------------------------------------


def world_key(role: str, op: str, path: str, param: str) -> str:
    """The world's id that fills `param` of `op` when `role` calls it."""
    per_role = {
        ("unit_person_remove", "person_id"): "victim_unit_person",
        ("unit_admin_remove", "account_id"): "victim_unit_admin",
        ("teacher_delete", "id"): "victim_teacher",
    }
    if (op, param) in per_role:
        return f"{per_role[(op, param)]}_{role}"
    victims = {
        ("notice_withdraw", "id"): "victim_notice",
        ("evaluator_revoke", "id"): "victim_evaluator",
        ("record_declare_untruthful", "id"): "victim_record",
        ("platform_revoke", "id"): "victim_platform",
        ("unit_admin_accept", "account_id"): "invitee",
    }
    if (op, param) in victims:
        return victims[(op, param)]
    if op == "certificate_reissue" and role in ("person", "unit_admin", "hrss"):
        return f"certificate_reissue_{role}"
    if op == "certificate_revoke" and role == "hrss":
        return "certificate_revoke_hrss"
    if op == "webhook_delete":
        return "victim_platform_webhook" if role == "platform" else f"victim_webhook_{role}"
    fixed = {"binding_id": "binding", "batch_id": "batch", "delivery_id": "delivery",
             "attachment_id": "notice_attachment", "number": "number"}
    if param in fixed:
        return fixed[param]
    # A year is left to the generator: any year has a catalogue and a
    # policy, and a fixed one would turn its out-of-range cases valid.
    if param == "year":
        return "none"
    resource = path.removeprefix("/api/v1/").split("/")[0]
    key = {
        "units": "unit", "persons": "person", "certificates": "certificate",
        "attachments": "attachment", "authorities": "authority", "base-claims": "base_claim",
        "classes": "class", "enrollments": "enrollment", "credit-records": "credit",
        "evaluators": "evaluator", "notices": "notice", "platforms": "platform",
        "providers": "provider", "qualifications": "qualification", "teachers": "teacher",
        "webhooks": "webhook", "records": "record", "course-plans": "plan",
    }[resource]
    if key == "webhook" and role == "platform":
        return "platform_webhook"
    # Classes are filed against an approved, filed plan; hrss files an
    # approved one; hrss decides a pending province-level application.
    if op == "class_create":
        return "plan_approved"
    if op == "course_plan_file":
        return "plan_unfiled"
    if op == "authority_review":
        return "authority_pending"
    return key


def operations(spec: dict) -> list[tuple[str, str, str, list[str]]]:
    """(METHOD, path, operationId, path parameter names) of the spec."""
    out = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            params = [p["name"] for p in op.get("parameters", []) + item.get("parameters", [])
                      if p.get("in") == "path"]
            out.append((method.upper(), path, op["operationId"], params))
    return out


def matrix() -> dict[str, dict[str, str]]:
    """The authorization matrix: operationId → caller → cell."""
    lines = [ln for ln in (ROOT / "tests/authz.csv").read_text().splitlines() if not ln.startswith("#")]
    return {row["operation_id"]: row for row in csv.DictReader(lines)}


def role_operations(role: str, column: str, ops, table) -> list[str]:
    """The operationIds `role` is fuzzed over: every one for hrss (the run
    it always was); for the others those the matrix lets the role through
    (`2xx` or `ok`) that need a token (public ones are hrss's run's)."""
    if role == "hrss":
        return [op for _, _, op, _ in ops]
    return [op for _, _, op, _ in ops
            if table[op][column] in ("2xx", "ok") and table[op]["nobody"] != "2xx"]


def its_operations(role: str, column: str, ops, table) -> list[str]:
    """The share's denominator: the operations of the run that the matrix
    lets the role through, less those the config disables (sign-out)."""
    base = tomllib.loads((ROOT / "schemathesis.toml").read_text())
    disabled = {e["include-name"] for e in base.get("operations", []) if e.get("enabled") is False}
    run = set(role_operations(role, column, ops, table))
    return [op for method, path, op, _ in ops
            if op in run and table[op][column] in ("2xx", "ok") and f"{method} {path}" not in disabled]


def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(v)


def write_config(out: Path, role: str, ops, ids: dict[str, str],
                 headers: dict[str, dict[str, str]] | None = None) -> None:
    """The hand-written config with this role's path parameters added (and
    `headers` by operationId: another caller of the same role)."""
    headers = headers or {}
    base = tomllib.loads((ROOT / "schemathesis.toml").read_text())
    entries = {e["include-name"]: dict(e) for e in base.get("operations", [])}
    order = list(entries)
    for method, path, op, params in ops:
        if not params:
            continue
        name = f"{method} {path}"
        values = {}
        for p in params:
            key = world_key(role, op, path, p)
            if key in ids:
                values[f"path.{p}"] = ids[key]
        if not values and op not in headers:
            continue
        if name not in entries:
            entries[name] = {"include-name": name}
            order.append(name)
        if values:
            entries[name]["parameters"] = values
        if op in headers:
            entries[name]["headers"] = headers[op]
    lines = [f"# Generated by tests/fuzz/fuzz.py for the {role} run: schemathesis.toml",
             "# with path parameters fixed to the seeded world's resources.", ""]
    for k, v in base.items():
        if k != "operations":
            lines.append(f"{k} = {toml_value(v)}")
    for name in order:
        lines.append("[[operations]]")
        for k, v in entries[name].items():
            if k == "checks":
                for check, conf in v.items():
                    for ck, cv in conf.items():
                        lines.append(f"checks.{check}.{ck} = {toml_value(cv)}")
            else:
                lines.append(f"{k} = {toml_value(v)}")
        lines.append("")
    out.write_text("\n".join(lines))


# --- the runs and the table --------------------------------------------------


def path_matcher(ops):
    """A function from (method, URL path) to the operationId."""
    compiled = []
    for method, path, op, _ in ops:
        rx = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$"
        # Literal segments win over parameters (/records/batch over /records/{id}).
        compiled.append((path.count("{"), method, re.compile(rx), op))
    compiled.sort(key=lambda c: c[0])

    def match(method: str, url_path: str) -> str | None:
        for _, m, rx, op in compiled:
            if m == method and rx.match(url_path):
                return op
        return None

    return match


def tally(har: Path, match) -> tuple[dict[str, set[int]], dict[str, int]]:
    """Per operation the statuses seen; per class the number of calls."""
    seen: dict[str, set[int]] = {}
    classes: dict[str, int] = {}
    entries = json.loads(har.read_text())["log"]["entries"] if har.exists() else []
    for e in entries:
        status = e["response"]["status"]
        cls = f"{status // 100}xx" if status else "none"
        classes[cls] = classes.get(cls, 0) + 1
        url = urllib.parse.urlsplit(e["request"]["url"])
        op = match(e["request"]["method"].upper(), url.path)
        if op:
            seen.setdefault(op, set()).add(status)
    return seen, classes


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--hrss-password", required=True)
    ap.add_argument("--st", required=True, help="the schemathesis command (a venv's bin/st)")
    ap.add_argument("--work", required=True, type=Path, help="where generated configs and reports go")
    ap.add_argument("--max-examples", type=int, default=40, help="per operation, in the hrss run")
    ap.add_argument("--role-max-examples", type=int, default=20,
                    help="per operation, in the other roles' runs (fewer operations each, but five runs)")
    ap.add_argument("--no-seed", action="store_true",
                    help="leave out the fixed seeds (CI's), to explore further locally")
    ap.add_argument("--roles", default=",".join(r for r, _, _ in ROLES),
                    help="comma-separated roles to run (default: all, in order)")
    args = ap.parse_args()
    base = args.base_url.rstrip("/")
    args.work.mkdir(parents=True, exist_ok=True)

    started = time.monotonic()
    world = Seeder(base, args.hrss_password).seed()
    (args.work / "world.json").write_text(json.dumps(world, indent=2, ensure_ascii=False))
    say(f"seeded the world through the API in {time.monotonic() - started:.0f} s: "
        f"{len(world['ids'])} ids, {len(world['accounts'])} accounts ({args.work / 'world.json'})")

    spec = json.loads(urllib.request.urlopen(f"{base}/api-docs/openapi.json", timeout=30).read())
    ops = operations(spec)
    table = matrix()
    missing = [op for _, _, op, _ in ops if op not in table]
    if missing:
        say(f"operations without a row in tests/authz.csv: {missing}")
        return 1
    match = path_matcher(ops)
    wanted = args.roles.split(",")
    results = []
    failed = []
    for role, column, seed in ROLES:
        if role not in wanted:
            continue
        config = args.work / f"st-{role}.toml"
        token = fresh_token(base, world["accounts"][role])
        headers = {}
        if role == "person":
            reissuer = fresh_token(base, world["accounts"]["person_reissuer"])
            headers["certificate_reissue"] = {"Authorization": f"Bearer {reissuer}"}
        write_config(config, role, ops, world["ids"], headers)
        chosen = role_operations(role, column, ops, table)
        har = args.work / f"st-{role}.har"
        cmd = [args.st, "--config-file", str(config), "run", f"{base}/api-docs/openapi.json",
               "--checks", "all", "--header", f"Authorization: Bearer {token}",
               "--max-examples", str(args.max_examples if role == "hrss" else args.role_max_examples),
               # One worker: hypothesis caches lambda sources in a dict that
               # is not thread-safe, and two workers made example generation
               # fail at random ("FlakyFailure … KeyError in
               # _lambda_description"), not the API.
               "--workers", "1", "--suppress-health-check", "all",
               "--report", "har", "--report-har-path", str(har)]
        if not args.no_seed:
            cmd += ["--seed", str(seed)]
        if role != "hrss":
            for op in chosen:
                cmd += ["--include-operation-id", op]
        t0 = time.monotonic()
        say(f"=== {role}: {len(chosen)} operations, seed {'random' if args.no_seed else seed}, config {config}")
        env = {**os.environ, "SCHEMATHESIS_HOOKS": "fuzz_hooks",
               "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).parent),
                                                          os.environ.get("PYTHONPATH")]))}
        rc = subprocess.run(cmd, env=env).returncode
        took = time.monotonic() - t0
        if rc != 0:
            failed.append(role)
        seen, classes = tally(har, match)
        mine = its_operations(role, column, ops, table)
        ok = [op for op in mine if any(200 <= s < 300 for s in seen.get(op, ()))]
        never = sorted(set(mine) - set(ok))
        results.append((role, len(ok), len(mine), classes, took, rc, never))

    print()
    print("Fuzzing as every role: operations the matrix lets the role call that answered 2xx at least once,")
    print("and every call by status class (schemathesis's HAR reports)")
    header = f"{'role':<15} {'2xx ops':>13} {'share':>6}  {'2xx':>6} {'3xx':>5} {'4xx':>6} {'5xx':>5}  {'time':>6}  result"
    print(header)
    print("-" * len(header))
    for role, n_ok, n_all, classes, took, rc, _ in results:
        share = 100 * n_ok / n_all if n_all else 0
        print(f"{role:<15} {n_ok:>5} of {n_all:<5} {share:>5.0f}%  {classes.get('2xx', 0):>6} "
              f"{classes.get('3xx', 0):>5} {classes.get('4xx', 0):>6} {classes.get('5xx', 0):>5}  "
              f"{took:>5.0f}s  {'ok' if rc == 0 else f'FAILED ({rc})'}")
    for role, _, _, _, _, _, never in results:
        if never:
            print(f"  {role}: never 2xx: {', '.join(never)}")
    say(f"all runs in {time.monotonic() - started:.0f} s")
    if failed:
        say(f"schemathesis reported failures as: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
