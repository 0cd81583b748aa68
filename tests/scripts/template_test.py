#!/usr/bin/env python3
"""Template tests: what the operations side of template.yaml promises, asserted on the template
after the SAM transform (the CloudFormation that is deployed), with no AWS call.

Usage: template_test.py [TEMPLATE]   (default template.yaml; run by tests/scripts/check-template.sh
with the .venv-sam python, which has aws-sam-translator; AWS_DEFAULT_REGION must be set)

Each test is then run again on mutants of the transformed template, each breaking what that
test guards; a mutant the test does not catch counts as a failure, so every assertion is shown
to be able to fail. The closing line is `template tests: N passed, M failed`.

Facts the template must agree with are read from the Rust sources, not copied: the EMF namespace and
dimension (shared/src/metrics.rs), the metric names (each declared once as a `Count("…")` or
`Milliseconds("…")` constant: the edge's in shared/src/metrics.rs, translation's in
shared/src/translate/counters.rs), the functions that write a metric line (those whose `Webhook`
impl returns a sink from `fn metrics`), and the event names the log function stores under
(shared/src/payload/envelope.rs, functions/log/src/key.rs), and the log line of a recording the audio
function could not store (functions/audio/src/lib.rs), which a metric filter counts.
"""
import copy
import json
import os
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAM_TO_CFN = os.path.join(REPO, "tests", "scripts", "sam_to_cfn.py")

# The one list of functions (shared/src/functions.rs, as shared/functions.json, which a Rust test
# keeps equal to it): logical id prefix -> its facts.
with open(os.path.join(REPO, "shared", "functions.json"), encoding="utf-8") as _f:
    REGISTRY = {f["logical_id"]: f for f in json.load(_f)}
# Logical id prefix -> binary name (the EMF Function value and the alarm name part).
FUNCTIONS = {prefix: f["name"] for prefix, f in REGISTRY.items()}
LOG_GROUPS = [f["log_group"] for f in REGISTRY.values()]
# The functions that translate, and those whose secret and mode are the WebhookSecret/WebhookAuth pair.
TRANSLATING = [prefix for prefix, f in REGISTRY.items() if f["translates"]]
WEBHOOK_AUTH = [prefix for prefix, f in REGISTRY.items() if f["auth"]["mode_parameter"] == "WebhookAuth"]
NO_VALUE = {"Ref": "AWS::NoValue"}


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def read(path):
    with open(os.path.join(REPO, path), encoding="utf-8") as f:
        return f.read()


def rust_facts():
    """The metric and event names as the Rust code writes them."""
    metrics = read("shared/src/metrics.rs")
    namespace = re.search(r'pub const NAMESPACE: &str = "([^"]+)"', metrics).group(1)
    dimensions = [[re.search(r'pub const DIMENSION: &str = "([^"]+)"', metrics).group(1)]]
    metric_names = []
    for path in ("shared/src/metrics.rs", "shared/src/translate/counters.rs"):
        metric_names += re.findall(r'pub const \w+: (?:Count|Milliseconds) = (?:Count|Milliseconds)\("(\w+)"\)',
                                   read(path))
    emitters = {}
    for prefix, binary in FUNCTIONS.items():
        source = read(f"functions/{binary}/src/lib.rs")
        # A function emits EMF when its `Webhook::metrics` returns a sink (a translating webhook
        # returns its `Translating` part's; the default is None); its name is its dimension.
        metrics = re.search(r'fn metrics\(&self\)[^{]*\{\s*([^\s(]+)', source)
        if metrics and metrics.group(1) != "None":
            emitters[prefix] = binary
    envelope = read("shared/src/payload/envelope.rs")
    events = re.findall(r'pub const (?:MESSAGE_LOGGED|CDR_LOGGED): &str = "([^"]+)"', envelope)
    unnamed = re.search(r'pub const UNNAMED_EVENT: &str = "([^"]+)"', read("functions/log/src/key.rs")).group(1)
    not_stored = re.search(r'pub const NOT_STORED_MESSAGE: &str = "([^"]+)"', read("functions/audio/src/lib.rs")).group(1)
    return {"namespace": namespace, "dimensions": dimensions, "metrics": metric_names,
            "emitters": emitters, "events": events + [unnamed], "audio_not_stored": not_stored}


def transform(template_path):
    result = subprocess.run([sys.executable, SAM_TO_CFN, template_path], capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        raise SystemExit("template tests: the SAM transform failed")
    return json.loads(result.stdout)


def if_param(condition, parameter):
    return {"Fn::If": [condition, {"Ref": parameter}, NO_VALUE]}


def not_equals(parameter, value):
    return {"Fn::Not": [{"Fn::Equals": [{"Ref": parameter}, value]}]}


def resources_of_type(t, kind):
    return {name: r for name, r in t["Resources"].items() if r["Type"] == kind}


# ---------------------------------------------------------------------------------------------
# Tests. Each takes the transformed template (and the Rust facts) and raises Failure.


def test_parameters(t, facts):
    params = t["Parameters"]
    expected = {
        "AlarmEmail": "", "TranslateMonthlyBudgetUsd": 0, "KmsKeyArn": "", "DialogWebhookSecretPrevious": "",
        **{f"{prefix}ReservedConcurrency": 0 for prefix in FUNCTIONS},
        "AthenaBytesScannedCutoffPerQuery": 1073741824, "RefusedRequestsAlarmPercent": 20,
        "StoredLogRestorePrincipalArn": "",
    }
    for name, default in expected.items():
        check(name in params, f"parameter {name} is missing")
        check(params[name].get("Default") == default, f"{name} defaults to {params[name].get('Default')!r}, not {default!r}")
    check(params["DialogWebhookSecretPrevious"].get("NoEcho") is True, "DialogWebhookSecretPrevious is not NoEcho")
    check(params["AthenaBytesScannedCutoffPerQuery"].get("MinValue") == 10485760,
          "AthenaBytesScannedCutoffPerQuery's MinValue is not Athena's minimum (10 MB)")
    kms = re.compile(params["KmsKeyArn"]["AllowedPattern"])
    check(kms.match("") and kms.match("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
          "KmsKeyArn's pattern refuses an empty value or a key ARN")
    check(not kms.match("alias/aws/lambda"), "KmsKeyArn's pattern accepts an alias")
    email = re.compile(params["AlarmEmail"]["AllowedPattern"])
    check(email.match("") and email.match("ops@example.com") and not email.match("not an address"),
          "AlarmEmail's pattern is wrong")


def test_registry(t, facts):
    """Each function of shared/functions.json is in the template as the list says: its function
    (the binary it builds), its URL output, its secret and the parameter that chooses its mode."""
    for prefix, f in REGISTRY.items():
        fn = t["Resources"].get(f"{prefix}Function")
        check(fn is not None and fn["Type"] == "AWS::Lambda::Function", f"no {prefix}Function")
        binary = fn.get("Metadata", {}).get("BuildProperties", {}).get("Binary")
        check(binary == f["name"], f"{prefix}Function builds {binary!r}, not {f['name']!r}")
        output = t["Outputs"].get(f["stack_output"], {}).get("Value")
        check(output == {"Fn::GetAtt": [f"{prefix}FunctionUrl", "FunctionUrl"]},
              f"output {f['stack_output']} is not {prefix}Function's URL")
        env = fn["Properties"]["Environment"]["Variables"]
        check(env.get("WEBHOOK_SECRET") == {"Ref": f["auth"]["secret_parameter"]},
              f"{prefix}Function's WEBHOOK_SECRET is not !Ref {f['auth']['secret_parameter']}")
        if f["auth"]["mode_parameter"]:
            check(env.get("WEBHOOK_AUTH") == {"Ref": f["auth"]["mode_parameter"]},
                  f"{prefix}Function's WEBHOOK_AUTH is not !Ref {f['auth']['mode_parameter']}")
            check(t["Parameters"][f["auth"]["mode_parameter"]].get("Default") == f["auth"]["mode"],
                  f"{f['auth']['mode_parameter']} does not default to {f['auth']['mode']}")


def test_reserved_concurrency(t, facts):
    for prefix in FUNCTIONS:
        fn = t["Resources"][f"{prefix}Function"]["Properties"]
        condition = f"{prefix}ConcurrencyReserved"
        parameter = f"{prefix}ReservedConcurrency"
        check(fn.get("ReservedConcurrentExecutions") == if_param(condition, parameter),
              f"{prefix}Function's ReservedConcurrentExecutions is not !If [{condition}, !Ref {parameter}, NoValue]")
        check(t["Conditions"].get(condition) == not_equals(parameter, "0"),
              f"condition {condition} is not '{parameter} is not 0'")


def test_kms_wiring(t, facts):
    check(t["Conditions"].get("HasKmsKey") == not_equals("KmsKeyArn", ""), "HasKmsKey is not 'KmsKeyArn is not empty'")
    for prefix in FUNCTIONS:
        fn = t["Resources"][f"{prefix}Function"]["Properties"]
        check(fn.get("KmsKeyArn") == if_param("HasKmsKey", "KmsKeyArn"), f"{prefix}Function has no conditional KmsKeyArn")
    for group in LOG_GROUPS:
        props = t["Resources"][group]["Properties"]
        check(props.get("KmsKeyId") == if_param("HasKmsKey", "KmsKeyArn"), f"{group} has no conditional KmsKeyId")
    policy = t["Resources"].get("FunctionsKmsDecryptPolicy")
    check(policy is not None and policy.get("Condition") == "HasKmsKey", "no kms:Decrypt policy under HasKmsKey")
    roles = policy["Properties"]["Roles"]
    for prefix in FUNCTIONS:
        check({"Ref": f"{prefix}FunctionRole"} in roles, f"the kms:Decrypt policy misses {prefix}FunctionRole")
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    check(statements == [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": {"Ref": "KmsKeyArn"}}],
          "the kms:Decrypt policy is not exactly kms:Decrypt on KmsKeyArn")


def test_dialog_rotation(t, facts):
    env = lambda prefix: t["Resources"][f"{prefix}Function"]["Properties"]["Environment"]["Variables"]
    check(env("Dialog").get("WEBHOOK_SECRET_PREVIOUS") == {"Ref": "DialogWebhookSecretPrevious"},
          "the dialog function's WEBHOOK_SECRET_PREVIOUS is not DialogWebhookSecretPrevious")
    check(env("Dialog").get("WEBHOOK_SECRET") == {"Ref": "DialogWebhookSecret"}, "the dialog secret moved")
    for prefix in WEBHOOK_AUTH:
        check(env(prefix).get("WEBHOOK_SECRET_PREVIOUS") == {"Ref": "WebhookSecretPrevious"},
              f"{prefix}'s WEBHOOK_SECRET_PREVIOUS is not WebhookSecretPrevious")


def test_translation_settings(t, facts):
    """Issue 9's settings reach every translating function, and the terminology CSV is valid."""
    import csv
    import io
    wanted = {"PROTECTED_TERMS": "ProtectedTerms", "TRANSLATE_FORMALITY": "TranslateFormality",
              "TRANSLATE_PROFANITY": "TranslateProfanity", "MAX_TEXTS_PER_REPLY": "MaxTextsPerReply",
              "MAX_TRANSLATE_CHARS": "MaxTranslateChars", "TRANSLATE_REPLY_DEADLINE_MS": "TranslateReplyDeadlineMs"}
    # The translating functions' settings (shared/src/translate/settings.rs and limits.rs).
    config = read("shared/src/translate/settings.rs") + read("shared/src/translate/limits.rs")
    for prefix in TRANSLATING:
        env = t["Resources"][f"{prefix}Function"]["Properties"]["Environment"]["Variables"]
        for variable, parameter in wanted.items():
            check(f'"{variable}"' in config, f"the Rust translation settings read no {variable}")
            check(env.get(variable) == {"Ref": parameter}, f"{prefix}Function's {variable} is not !Ref {parameter}")
        terminology = json.dumps(env.get("TRANSLATE_TERMINOLOGY"))
        check("CreatesTerminology" in terminology and "TranslateTerminologyNames" in terminology
              and "${AWS::StackName}-terms" in terminology,
              f"{prefix}Function's TRANSLATE_TERMINOLOGY does not name the created terminology and the listed ones")
    resource = t["Resources"].get("Terminology")
    check(resource is not None and resource["Type"] == "AWS::Translate::Terminology", "no Terminology resource")
    check(resource.get("Condition") == "CreatesTerminology", "the terminology is not under CreatesTerminology")
    props = resource["Properties"]
    check(props["Name"] == {"Fn::Sub": "${AWS::StackName}-terms"}, "the terminology's name is not <stack>-terms")
    data = props["TerminologyData"]
    check(data["Format"] == "CSV" and "Fn::Base64" in data["File"], "the terminology is not a base64 CSV")
    rows = list(csv.reader(io.StringIO(data["File"]["Fn::Base64"])))
    rows = [row for row in rows if row]
    check(len(rows) >= 2, "the terminology CSV has no terms")
    check(all(re.fullmatch(r"[a-z]{2}(-[A-Z]{2})?", code) for code in rows[0]), f"bad language codes: {rows[0]}")
    check(len(set(rows[0])) == len(rows[0]), "a language appears twice in the CSV header")
    check(all(len(row) == len(rows[0]) and all(cell.strip() for cell in row) for row in rows[1:]),
          "a terminology row has a missing or empty cell")
    params = t["Parameters"]
    formality = re.compile(params["TranslateFormality"]["AllowedPattern"])
    for ok in ("", "formal", "informal", "de:formal,es:informal", "informal,pt-PT:formal"):
        check(formality.match(ok), f"TranslateFormality refuses {ok!r}")
    for bad in ("polite", "de:polite", "de:formal,"):
        check(not formality.match(bad), f"TranslateFormality accepts {bad!r}")


def alarm_on(alarms, namespace, metric, dimension):
    """The alarms on one metric with exactly one dimension (name, value)."""
    found = []
    for name, alarm in alarms.items():
        p = alarm["Properties"]
        if p.get("Namespace") == namespace and p.get("MetricName") == metric \
                and p.get("Dimensions") == [{"Name": dimension[0], "Value": dimension[1]}]:
            found.append((name, p))
    return found


def test_alarms(t, facts):
    alarms = resources_of_type(t, "AWS::CloudWatch::Alarm")
    actions = {"Fn::If": ["HasAlarmEmail", [{"Ref": "AlarmTopic"}], NO_VALUE]}
    for name, alarm in alarms.items():
        p = alarm["Properties"]
        check(p.get("AlarmActions") == actions and p.get("OKActions") == actions,
              f"{name} does not notify AlarmTopic under HasAlarmEmail")
        check(p.get("TreatMissingData") == "notBreaching", f"{name} treats missing data as a breach")
        check(len(p.get("AlarmDescription", "")) > 60, f"{name} does not say what it means and what to do")
    # PassThroughAfterFault, as the Rust code emits it.
    check(facts["dimensions"] == [["Function"]], f"the EMF dimensions changed: {facts['dimensions']}")
    check("PassThroughAfterFault" in facts["metrics"], "metrics.rs no longer emits PassThroughAfterFault")
    check(set(facts["emitters"]) == set(TRANSLATING),
          f"the functions that emit EMF changed: {sorted(facts['emitters'])}")
    for prefix, value in facts["emitters"].items():
        found = alarm_on(alarms, facts["namespace"], "PassThroughAfterFault", ("Function", value))
        check(len(found) == 1, f"no alarm on {facts['namespace']} PassThroughAfterFault Function={value}")
        p = found[0][1]
        check(p["Statistic"] == "Sum" and p["Threshold"] >= 1, f"{found[0][0]} is not a Sum >= 1")
    # The Lambda and function URL metrics, per function.
    for prefix in FUNCTIONS:
        fn = {"Ref": f"{prefix}Function"}
        for metric in ("Errors", "Url5xxCount", "Throttles"):
            found = alarm_on(alarms, "AWS/Lambda", metric, ("FunctionName", fn))
            check(len(found) == 1, f"no alarm on AWS/Lambda {metric} for {prefix}Function")
            p = found[0][1]
            check(p["Statistic"] == "Sum" and p["Threshold"] == 1
                  and p["ComparisonOperator"] == "GreaterThanOrEqualToThreshold", f"{found[0][0]} is not Sum >= 1")
        found = alarm_on(alarms, "AWS/Lambda", "Duration", ("FunctionName", fn))
        check(len(found) == 1, f"no Duration alarm for {prefix}Function")
        p = found[0][1]
        timeout_ms = 1000 * t["Resources"][f"{prefix}Function"]["Properties"]["Timeout"]
        check(p.get("ExtendedStatistic") in ("p99", "p99.9") or p.get("Statistic") == "Maximum",
              f"{found[0][0]} watches neither p99 nor Maximum")
        check(0.5 * timeout_ms <= p["Threshold"] <= 0.8 * timeout_ms,
              f"{found[0][0]}'s threshold {p['Threshold']} ms is not at most 80 % of the {timeout_ms} ms Timeout")
        # Refused requests: Url4xxCount over UrlRequestCount, as a percentage.
        refused = [n for n, a in alarms.items() if any(
            m.get("MetricStat", {}).get("Metric", {}).get("MetricName") == "Url4xxCount"
            and m["MetricStat"]["Metric"].get("Dimensions") == [{"Name": "FunctionName", "Value": fn}]
            for m in a["Properties"].get("Metrics", []))]
        check(len(refused) == 1, f"no refused-request alarm for {prefix}Function")
        p = alarms[refused[0]]["Properties"]
        ids = {m["Id"]: m for m in p["Metrics"]}
        expression = [m for m in p["Metrics"] if m.get("ReturnData")]
        check(len(expression) == 1 and "Expression" in expression[0], f"{refused[0]} returns no single expression")
        used = set(re.findall(r"[a-z]\w*", expression[0]["Expression"].replace("IF", "").replace("FILL", "")))
        check(used <= set(ids), f"{refused[0]}'s expression uses unknown ids {sorted(used - set(ids))}")
        check(any(m.get("MetricStat", {}).get("Metric", {}).get("MetricName") == "UrlRequestCount" for m in p["Metrics"]),
              f"{refused[0]} is not a rate: no UrlRequestCount")
        check(p.get("Threshold") == {"Ref": "RefusedRequestsAlarmPercent"}, f"{refused[0]}'s threshold is not the parameter")


def test_alarm_topic(t, facts):
    check(t["Conditions"].get("HasAlarmEmail") == not_equals("AlarmEmail", ""), "HasAlarmEmail is wrong")
    topic = t["Resources"].get("AlarmTopic")
    check(topic is not None and topic.get("Condition") == "HasAlarmEmail", "no AlarmTopic under HasAlarmEmail")
    p = topic["Properties"]
    check(p.get("KmsMasterKeyId") == {"Ref": "AlarmTopicKey"}, "the alarm topic is not encrypted with AlarmTopicKey")
    check(p.get("Subscription") == [{"Protocol": "email", "Endpoint": {"Ref": "AlarmEmail"}}],
          "AlarmEmail is not subscribed to the topic")
    key = t["Resources"]["AlarmTopicKey"]
    check(key.get("Condition") == "HasAlarmEmail", "the topic key exists without AlarmEmail")
    check(key["Properties"].get("EnableKeyRotation") is True, "the topic key does not rotate")
    grants = [s for s in key["Properties"]["KeyPolicy"]["Statement"]
              if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"} and s["Effect"] == "Allow"]
    check(grants and {"kms:Decrypt", "kms:GenerateDataKey*"} <= set(grants[0]["Action"]),
          "CloudWatch may not use the topic key, so alarms could not publish")


def substitute(body, t):
    """Fills the !Sub placeholders as CloudFormation would, refusing any it could not resolve."""
    resources = t["Resources"]

    def value(match):
        name = match.group(1)
        if name in ("AWS::Region", "AWS::StackName", "AWS::AccountId", "AWS::Partition"):
            return {"AWS::Region": "eu-west-1", "AWS::StackName": "watson-webhooks",
                    "AWS::AccountId": "123456789012", "AWS::Partition": "aws"}[name]
        if name.endswith(".Arn") and resources.get(name[:-4], {}).get("Type") == "AWS::CloudWatch::Alarm":
            return f"arn:aws:cloudwatch:eu-west-1:123456789012:alarm:{name[:-4]}"
        if name in resources:
            return f"watson-webhooks-{name}-ABC123"
        raise Failure(f"the dashboard body refers to ${{{name}}}, which is no parameter, resource or alarm")

    return re.sub(r"\$\{([^}!][^}]*)\}", value, body)


def test_dashboard(t, facts):
    dashboards = resources_of_type(t, "AWS::CloudWatch::Dashboard")
    check(len(dashboards) == 1, f"{len(dashboards)} dashboards, not one")
    props = next(iter(dashboards.values()))["Properties"]
    check(isinstance(props["DashboardBody"], dict) and "Fn::Sub" in props["DashboardBody"],
          "the dashboard body is not built with !Sub")
    try:
        body = json.loads(substitute(props["DashboardBody"]["Fn::Sub"], t))
    except json.JSONDecodeError as e:
        raise Failure(f"the dashboard body is not JSON after substitution: {e}")
    widgets = body["widgets"]
    cells = set()
    for w in widgets:
        check(w["x"] + w["width"] <= 24, f"widget {w['properties'].get('title')} is wider than the grid")
        for x in range(w["x"], w["x"] + w["width"]):
            for y in range(w["y"], w["y"] + w["height"]):
                check((x, y) not in cells, f"widgets overlap at {x},{y}")
                cells.add((x, y))
        if w["type"] == "metric":
            check(w["properties"].get("region") == "eu-west-1", f"{w['properties']['title']} is not in the stack's region")
    lines = [m for w in widgets if w["type"] == "metric" for m in w["properties"]["metrics"]]

    def has(namespace, metric, value, stat="Sum"):
        return any(m[0] == namespace and m[1] == metric and m[3] == value and m[4].get("stat") == stat for m in lines)

    for prefix in FUNCTIONS:
        name = f"watson-webhooks-{prefix}Function-ABC123"
        for metric, stat in (("Invocations", "Sum"), ("Errors", "Sum"), ("Duration", "p50"), ("Duration", "p99")):
            check(has("AWS/Lambda", metric, name, stat), f"the dashboard has no {metric} {stat} for {prefix}Function")
    for value in facts["emitters"].values():
        for metric in ("TranslateCalls", "TranslatedCharacters", "CacheHits", "CacheMisses", "PassThroughAfterFault"):
            check(metric in facts["metrics"], f"metrics.rs emits no {metric}")
            check(has(facts["namespace"], metric, value), f"the dashboard has no {metric} for {value}")
    alarm_widgets = [w for w in widgets if w["type"] == "alarm"]
    check(len(alarm_widgets) == 1, "no alarm status widget")
    listed = {a.rsplit(":", 1)[1] for a in alarm_widgets[0]["properties"]["alarms"]}
    check(listed == set(resources_of_type(t, "AWS::CloudWatch::Alarm")), "the alarm widget does not list every alarm")


def test_budget(t, facts):
    check(t["Conditions"].get("HasTranslateBudget") == not_equals("TranslateMonthlyBudgetUsd", "0"),
          "HasTranslateBudget is not 'TranslateMonthlyBudgetUsd is not 0'")
    budgets = resources_of_type(t, "AWS::Budgets::Budget")
    check(len(budgets) == 1, "no budget")
    budget = next(iter(budgets.values()))
    check(budget.get("Condition") == "HasTranslateBudget", "the budget exists when TranslateMonthlyBudgetUsd is 0")
    b = budget["Properties"]["Budget"]
    check(b["BudgetType"] == "COST" and b["TimeUnit"] == "MONTHLY", "the budget is not a monthly cost budget")
    check(b["CostFilters"] == {"Service": ["Amazon Translate"]}, "the budget does not filter on Amazon Translate")
    check(b["BudgetLimit"] == {"Amount": {"Ref": "TranslateMonthlyBudgetUsd"}, "Unit": "USD"}, "the budget's limit is wrong")


def test_bucket(t, facts):
    p = t["Resources"]["LogBucket"]["Properties"]
    check(p.get("VersioningConfiguration") == {"Status": "Enabled"}, "the log bucket is not versioned")
    rules = p["LifecycleConfiguration"]["Rules"]
    stored = [r["Fn::If"][1] for r in rules if "Fn::If" in r]
    check(stored and "NoncurrentVersionExpiration" in stored[0], "replaced events' versions never expire")
    check(any(r.get("ExpiredObjectDeleteMarker") is True for r in rules if "Fn::If" not in r),
          "expired delete markers are never removed")


def test_bucket_policy(t, facts):
    statements = t["Resources"]["LogBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    bucket = [{"Fn::GetAtt": ["LogBucket", "Arn"]}, {"Fn::Sub": "${LogBucket.Arn}/*"}]
    tls = [s for s in statements if s.get("Condition", {}).get("NumericLessThan", {}).get("s3:TlsVersion") is not None]
    check(len(tls) == 1, "no statement on s3:TlsVersion")
    s = tls[0]
    check(s["Effect"] == "Deny" and s["Principal"] == "*" and s["Action"] == "s3:*" and s["Resource"] == bucket,
          "the TLS statement does not deny everything on the bucket and its objects")
    check(float(s["Condition"]["NumericLessThan"]["s3:TlsVersion"]) == 1.2, "the TLS floor is not 1.2")
    writers = [s for s in statements if "aws:PrincipalArn" in s.get("Condition", {}).get("ArnNotLike", {})]
    check(len(writers) == 1, "no statement that keeps other principals from writing")
    s = writers[0]
    check(s["Effect"] == "Deny" and s["Principal"] == "*", "the writer statement is not a Deny for everyone")
    role = {"Fn::GetAtt": ["LogFunctionRole", "Arn"]}
    check(s["Condition"]["ArnNotLike"]["aws:PrincipalArn"] == {"Fn::If": [
              "HasLogRestorePrincipal", [role, {"Ref": "StoredLogRestorePrincipalArn"}], [role]]},
          "the writer statement excepts someone other than the log function's role (and the restore principal)")
    check(t["Conditions"].get("HasLogRestorePrincipal") == not_equals("StoredLogRestorePrincipalArn", ""),
          "HasLogRestorePrincipal is not 'StoredLogRestorePrincipalArn is not empty'")
    # No lock-out: it denies writing objects, never reading, deleting or managing the bucket or policy.
    check(s["Action"] in ("s3:PutObject", ["s3:PutObject"]), f"the writer statement denies {s['Action']}, not only s3:PutObject")
    # It covers the stored events and spares Athena's results.
    output = t["Resources"]["LogWorkGroup"]["Properties"]["WorkGroupConfiguration"]["ResultConfiguration"]["OutputLocation"]
    results_prefix = re.search(r"\}/(.+)$", output["Fn::Sub"]).group(1)
    check(s.get("NotResource") == {"Fn::Sub": "${LogBucket.Arn}/" + results_prefix + "*"},
          "the writer statement does not cover every object except Athena's query results")
    # The log function itself may write under the prefix.
    role = t["Resources"]["LogFunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    check(any(r.get("Action") == ["s3:PutObject"] for r in role), "the log function's role may not PutObject")
    # ... and read there (HeadObject after a 412), to tell a redelivery from a different event.
    check(any(r.get("Action") == ["s3:GetObject"] and r.get("Resource") == {"Fn::Sub": "${LogBucket.Arn}/${StoredLogKeyPrefix}*"}
              for r in role), "the log function's role may not GetObject under its prefix")


def test_glue_projection(t, facts):
    params = t["Resources"]["LogTable"]["Properties"]["TableInput"]["Parameters"]
    values = params["projection.event.values"].split(",")
    check(params["projection.event.type"] == "enum", "the event projection is not an enum")
    for event in facts["events"]:
        check(event in values, f"events stored under event={event} are not in the table's projection")


def test_athena_limit(t, facts):
    config = t["Resources"]["LogWorkGroup"]["Properties"]["WorkGroupConfiguration"]
    check(config.get("BytesScannedCutoffPerQuery") == {"Ref": "AthenaBytesScannedCutoffPerQuery"},
          "the workgroup has no per-query scan limit")
    check(config.get("EnforceWorkGroupConfiguration") is True, "queries can override the workgroup's limit")


def test_function_roles(t, facts):
    """Each function runs as its own role: no AWSLambdaBasicExecutionRole (logs:CreateLogGroup,
    CreateLogStream and PutLogEvents on every resource), and logs written only to its own group."""
    for prefix in FUNCTIONS:
        fn = t["Resources"][f"{prefix}Function"]["Properties"]
        check(fn.get("Role") == {"Fn::GetAtt": [f"{prefix}FunctionRole", "Arn"]}, f"{prefix}Function does not run as {prefix}FunctionRole")
    group_of = dict(zip(FUNCTIONS, LOG_GROUPS))
    for name, role in resources_of_type(t, "AWS::IAM::Role").items():
        text = json.dumps(role)
        check("AWSLambdaBasicExecutionRole" not in text and "ManagedPolicyArns" not in text,
              f"{name} has a managed policy (AWSLambdaBasicExecutionRole grants logs on every resource)")
        check('"logs:' not in text, f"{name} has logs actions of its own, beyond its log group's policy")
    for prefix, group in group_of.items():
        policies = [p["Properties"] for p in resources_of_type(t, "AWS::IAM::Policy").values()
                    if {"Ref": f"{prefix}FunctionRole"} in p["Properties"]["Roles"] and '"logs:' in json.dumps(p)]
        check(len(policies) == 1 and len(policies[0]["Roles"]) == 1, f"{prefix}FunctionRole has no logs policy of its own")
        statements = policies[0]["PolicyDocument"]["Statement"]
        check(len(statements) == 1 and sorted(statements[0]["Action"]) == ["logs:CreateLogStream", "logs:PutLogEvents"],
              f"{prefix}FunctionRole's logs policy allows {[s.get('Action') for s in statements]}")
        check(statements[0]["Resource"] == {"Fn::GetAtt": [group, "Arn"]}, f"{prefix}FunctionRole's logs are not scoped to {group}")


def test_log_quarantine(t, facts):
    """The quarantine is outside the table, writable by the log function, and expires."""
    env = t["Resources"]["LogFunction"]["Properties"]["Environment"]["Variables"]
    quarantine = env.get("LOG_QUARANTINE_PREFIX")
    check(isinstance(quarantine, str) and quarantine.endswith("/"), "LogFunction has no LOG_QUARANTINE_PREFIX")
    # The table reads StoredLogKeyPrefix (the function refuses an overlap at cold start, whatever the value).
    location = t["Resources"]["LogTable"]["Properties"]["TableInput"]["StorageDescriptor"]["Location"]
    check(location == {"Fn::Sub": "s3://${LogBucket}/${StoredLogKeyPrefix}"}, "the table's location moved")
    table = t["Parameters"]["StoredLogKeyPrefix"]["Default"]
    check(not quarantine.startswith(table) and not table.startswith(quarantine), "the quarantine is inside the table's location")
    statements = t["Resources"]["LogFunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    for action in ("s3:PutObject", "s3:GetObject"):
        check(any(s["Action"] == [action] and s["Resource"] == {"Fn::Sub": "${LogBucket.Arn}/" + quarantine + "*"}
                  for s in statements), f"the log function may not {action} in {quarantine}")
    rules = t["Resources"]["LogBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    expiring = [r["Fn::If"][1] for r in rules if "Fn::If" in r]
    check(any(r.get("Prefix") == quarantine and r.get("ExpirationInDays") == {"Ref": "StoredLogRetentionDays"} for r in expiring),
          "quarantined events never expire")


def test_recordings(t, facts):
    """The audio webhook's recordings: KMS on every object (the bucket's default and the function's
    own requests, the same key), private, retained, expiring, written by the function alone, which
    may write and nothing else; a recording not stored is counted and alarmed on."""
    key = {"Fn::If": ["CreatesRecordingsKey", {"Fn::GetAtt": ["RecordingsKey", "Arn"]}, {"Ref": "KmsKeyArn"}]}
    check(t["Conditions"].get("CreatesRecordingsKey") == {"Fn::Equals": [{"Ref": "KmsKeyArn"}, ""]},
          "CreatesRecordingsKey is not 'KmsKeyArn is empty'")
    recordings_key = t["Resources"]["RecordingsKey"]
    check(recordings_key.get("Condition") == "CreatesRecordingsKey", "the recordings key is not conditional")
    check(recordings_key.get("DeletionPolicy") == "Retain", "the recordings key is deleted with the stack")
    check(recordings_key["Properties"].get("EnableKeyRotation") is True, "the recordings key does not rotate")
    bucket = t["Resources"]["RecordingsBucket"]
    check(bucket.get("DeletionPolicy") == "Retain", "the recordings bucket is deleted with the stack")
    p = bucket["Properties"]
    sse = p["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    check(sse["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key},
          "the recordings bucket's default is not SSE-KMS with the recordings key")
    check(sse.get("BucketKeyEnabled") is True, "the recordings bucket uses no S3 Bucket Key")
    block = p["PublicAccessBlockConfiguration"]
    check(all(block.get(k) is True for k in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")),
          "the recordings bucket does not block public access")
    expiring = [r["Fn::If"] for r in p["LifecycleConfiguration"]["Rules"] if "Fn::If" in r]
    check(expiring and expiring[0][0] == "StoredAudioExpires"
          and expiring[0][1].get("ExpirationInDays") == {"Ref": "StoredAudioRetentionDays"},
          "recordings never expire after StoredAudioRetentionDays")
    env = t["Resources"]["AudioFunction"]["Properties"]["Environment"]["Variables"]
    check(env.get("AUDIO_KMS_KEY_ARN") == key, "the audio function does not ask for the recordings key")
    check(env.get("AUDIO_BUCKET") == {"Ref": "RecordingsBucket"}, "the audio function writes elsewhere")
    check(env.get("WEBHOOK_AUTH") == {"Fn::If": ["WebhookAuthIsNone", "none", "jwt"]},
          "the audio function does not check the Signed JWT the audio webhook sends")
    role = t["Resources"]["AudioFunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    actions = sorted(a for r in role for a in r["Action"])
    check(actions == ["kms:GenerateDataKey", "s3:PutObject"], f"the audio function may {actions}, not only write")
    kms = [r for r in role if r["Action"] == ["kms:GenerateDataKey"]]
    check(kms[0]["Resource"] == key, "the audio function's kms:GenerateDataKey is not on the recordings key")
    statements = t["Resources"]["RecordingsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    check(any(s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false" and s["Effect"] == "Deny"
              for s in statements), "the recordings bucket accepts plain HTTP")
    check(any(float(s.get("Condition", {}).get("NumericLessThan", {}).get("s3:TlsVersion", 0)) == 1.2
              for s in statements), "the recordings bucket has no TLS 1.2 floor")
    check(any(s["Effect"] == "Deny" and s["Action"] == "s3:PutObject"
              and s.get("Condition", {}).get("StringNotEquals", {}).get("s3:x-amz-server-side-encryption") == "aws:kms"
              for s in statements), "the recordings bucket accepts objects not encrypted with KMS")
    writers = [s for s in statements if "aws:PrincipalArn" in s.get("Condition", {}).get("ArnNotLike", {})]
    check(len(writers) == 1 and writers[0]["Effect"] == "Deny" and writers[0]["Action"] == "s3:PutObject"
          and writers[0]["Condition"]["ArnNotLike"]["aws:PrincipalArn"] == {"Fn::GetAtt": ["AudioFunctionRole", "Arn"]},
          "someone other than the audio function may write recordings")
    filters = resources_of_type(t, "AWS::Logs::MetricFilter")
    counted = [f["Properties"] for f in filters.values()
               if f["Properties"].get("LogGroupName") == {"Ref": "AudioFunctionLogGroup"}
               and f'$.fields.message = "{facts["audio_not_stored"]}"' in f["Properties"].get("FilterPattern", "")]
    check(len(counted) == 1, f"no metric filter counts the audio function's \"{facts['audio_not_stored']}\" lines")
    metric = counted[0]["MetricTransformations"][0]
    alarms = resources_of_type(t, "AWS::CloudWatch::Alarm")
    check(any(a["Properties"].get("Namespace") == metric["MetricNamespace"] and a["Properties"].get("MetricName") == metric["MetricName"]
              and a["Properties"].get("Threshold") == 1 and a["Properties"].get("Statistic") == "Sum" for a in alarms.values()),
          "no alarm on a recording not stored")


# ---------------------------------------------------------------------------------------------
# Mutants: for each test, changes to the transformed template that it must catch.


def test_translation_memory(t, facts):
    check(t["Conditions"].get("TranslationMemoryOn") == {"Fn::Equals": [{"Ref": "TranslationMemory"}, "on"]},
          "TranslationMemoryOn is not 'TranslationMemory is on'")
    table = t["Resources"]["TranslationTable"]
    check(table.get("Condition") == "TranslationMemoryOn", "the table is not conditional on TranslationMemory")
    p = table["Properties"]
    check(p.get("BillingMode") == "PAY_PER_REQUEST", "the table is not on-demand")
    check(p.get("KeySchema") == [{"AttributeName": "id", "KeyType": "HASH"}], "the table's key is not id")
    check(p.get("TimeToLiveSpecification") == {"AttributeName": "expires_at", "Enabled": True},
          "TTL is not on expires_at (what shared/src/memory.rs writes)")
    check(p.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled") is True,
          "point-in-time recovery is off")
    sse = p.get("SSESpecification", {})
    check(sse.get("SSEEnabled") is True and sse.get("SSEType") == "KMS", "the table is not KMS-encrypted")
    check(sse.get("KMSMasterKeyId") == if_param("HasKmsKey", "KmsKeyArn"), "the table ignores KmsKeyArn")
    memory_rs = read("shared/src/memory.rs")
    check('"expires_at"' in memory_rs, "shared/src/memory.rs writes no expires_at")
    for prefix in TRANSLATING:
        env = t["Resources"][f"{prefix}Function"]["Properties"]["Environment"]["Variables"]
        check(env.get("TRANSLATION_TABLE") == {"Fn::If": ["TranslationMemoryOn", {"Ref": "TranslationTable"}, ""]},
              f"{prefix}Function's TRANSLATION_TABLE is not the table (or empty when off)")
        check(env.get("TRANSLATION_TTL_DAYS") == {"Ref": "TranslationTtlDays"}, f"{prefix}Function has no TRANSLATION_TTL_DAYS")
        check(env.get("MEMORY_ADMIT_SESSIONS") == {"Ref": "MemoryAdmitSessions"}, f"{prefix}Function has no MEMORY_ADMIT_SESSIONS")
        key = env.get("MEMORY_ADMIT_KEY", {}).get("Fn::If", [])
        check(key[:2] == ["HasMemoryAdmitKey", {"Ref": "MemoryAdmitKey"}] and "AWS::StackId" in json.dumps(key),
              f"{prefix}Function's MEMORY_ADMIT_KEY is not the secret or the stack's id")
        check(env.get("TRANSLATION_TEMPLATES") == {"Ref": "TranslationTemplates"}, f"{prefix}Function has no TRANSLATION_TEMPLATES")
    check(t["Parameters"]["MemoryAdmitKey"].get("NoEcho") is True, "MemoryAdmitKey is echoed")
    # Only the read, a conditional PutItem and UpdateItem (use and session counts), only on the
    # table, only for the functions that use it; dialog never writes a translation.
    writes = ["dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
    for name, roles, condition, actions in [
            ("TranslationMemoryPolicy", {"PostMessageFunctionRole"}, "TranslationMemoryOn", writes),
            ("DialogTranslationMemoryPolicy", {"DialogFunctionRole"}, "TranslationMemoryOn",
             ["dynamodb:BatchGetItem", "dynamodb:UpdateItem"]),
            ("PreMessageTranslationMemoryPolicy", {"PreMessageFunctionRole"}, "TranslationMemoryForInputs", writes)]:
        policy = t["Resources"][name]
        check(policy.get("Condition") == condition, f"{name} is not conditional on {condition}")
        check({r["Ref"] for r in policy["Properties"]["Roles"]} == roles, f"{name} is attached to the wrong roles")
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            check(sorted(statement["Action"]) == actions, f"{name} allows {statement['Action']}")
            check(statement["Resource"] == {"Fn::GetAtt": ["TranslationTable", "Arn"]}, f"{name} is not scoped to the table")
    inputs = t["Conditions"].get("TranslationMemoryForInputs", {}).get("Fn::And", [])
    check({"Condition": "TranslationMemoryOn"} in inputs
          and {"Fn::Equals": [{"Ref": "TranslationMemoryInputs"}, "on"]} in inputs,
          "pre-message gets the table without the inputs opt-in")
    for name, role in resources_of_type(t, "AWS::IAM::Role").items():
        text = json.dumps(role)
        check("dynamodb:" not in text, f"{name} has DynamoDB actions of its own")


def test_masking(t, facts):
    params = t["Parameters"]
    check(params["MaskPersonalData"].get("Default") == "off", "masking is not off by default")
    check(params["MaskSecret"].get("NoEcho") is True, "MaskSecret is not NoEcho")
    secret = re.compile(params["MaskSecret"]["AllowedPattern"])
    check(secret.fullmatch("") and secret.fullmatch("x" * 32) and not secret.fullmatch("x" * 31),
          "MaskSecret's pattern does not allow exactly empty or at least 32 characters")
    kinds = re.compile(params["MaskPersonalData"]["AllowedPattern"])
    check(all(kinds.fullmatch(v) for v in ["off", "all", "email", "email,phone,card,iban,ip"])
          and not any(kinds.fullmatch(v) for v in ["on", "names", "email,"]), "MaskPersonalData's pattern is wrong")
    rule = json.dumps(t.get("Rules", {}).get("MaskSecretRequiredWhenMasking", {}))
    check('"MaskSecret"' in rule and '"MaskPersonalData"' in rule, "no rule requires MaskSecret when masking is on")
    for prefix in ["PreMessage", "PostMessage", "Log"]:
        env = t["Resources"][f"{prefix}Function"]["Properties"]["Environment"]["Variables"]
        check(env.get("MASK_PERSONAL_DATA") == {"Ref": "MaskPersonalData"}, f"{prefix}Function has no MASK_PERSONAL_DATA")
        check(env.get("MASK_PHONE_REGION") == {"Ref": "MaskPhoneRegion"}, f"{prefix}Function has no MASK_PHONE_REGION")
        wants_secret = prefix != "Log"
        check((env.get("MASK_SECRET") == {"Ref": "MaskSecret"}) == wants_secret,
              f"{prefix}Function {'lacks' if wants_secret else 'gets'} MASK_SECRET")
    env = t["Resources"]["DialogFunction"]["Properties"]["Environment"]["Variables"]
    check("MASK_SECRET" not in env, "the dialog function gets MASK_SECRET")


def res(t, name):
    return t["Resources"][name]["Properties"]


def set_path(t, path, value):
    node = t
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def first_alarm(t, kind):
    return next(n for n in t["Resources"] if n.endswith(f"{kind}Alarm"))


def test_webhook_auth(t, facts):
    params = t["Parameters"]
    names = re.search(r'pub const NAMES: \[&\'static str; \d+\] = \[([^\]]+)\]', read("shared/src/auth.rs")).group(1)
    modes = re.findall(r'"([^"]+)"', names)
    check(sorted(params["WebhookAuth"]["AllowedValues"]) == sorted(modes),
          f"WebhookAuth's AllowedValues are not the modes the functions take ({modes})")
    for name in ("WebhookSecret", "WebhookSecretPrevious", "DialogWebhookSecret", "DialogWebhookSecretPrevious"):
        pattern = re.compile(params[name].get("AllowedPattern", ".*"))
        check(pattern.fullmatch("") and pattern.fullmatch("s" * 32) and pattern.fullmatch("a b:" * 20),
              f"{name}'s pattern refuses an empty value or one of 32 characters")
        check(not any(pattern.fullmatch("s" * n) for n in range(1, 32)), f"{name}'s pattern accepts 1-31 characters")
    env = lambda prefix: t["Resources"][f"{prefix}Function"]["Properties"]["Environment"]["Variables"]
    check(env("Dialog").get("WEBHOOK_SECRET_PARAMETER") == "", "the dialog function reads the webhooks' stored secret")
    policy = t["Resources"].get("WebhookSecretReadPolicy")
    check(policy is not None and policy.get("Condition") == "ReadsStoredSecret", "no secret-read policy under ReadsStoredSecret")
    roles = policy["Properties"]["Roles"]
    webhook_secret = sorted(f"{prefix}FunctionRole" for prefix, f in REGISTRY.items()
                            if f["auth"]["secret_parameter"] == "WebhookSecret")
    check(sorted(r["Ref"] for r in roles) == webhook_secret,
          f"the secret-read policy is not exactly the roles of the functions on WebhookSecret ({webhook_secret})")
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    check(statements[0]["Action"] == "ssm:GetParameter" and statements[0]["Resource"] != "*",
          "the secret-read policy is not ssm:GetParameter on the one parameter")
    check("secretsmanager:GetSecretValue" in json.dumps(statements[1]) and '"*"' not in json.dumps(statements),
          "the secret-read policy does not scope secretsmanager:GetSecretValue to the secret")
    for name in ("OAuthUserPool", "OAuthUserPoolDomain", "OAuthResourceServer", "OAuthAppClient"):
        check(t["Resources"][name].get("Condition") == "CreatesOAuthIssuer", f"{name} is not under CreatesOAuthIssuer")
    client = t["Resources"]["OAuthAppClient"]["Properties"]
    check(client["AllowedOAuthFlows"] == ["client_credentials"] and client["GenerateSecret"] is True,
          "the app client allows more than the client-credentials grant, or has no secret")
    for output in ("OAuthTokenUrl", "OAuthClientId", "OAuthScope"):
        check(t["Outputs"].get(output, {}).get("Condition") == "CreatesOAuthIssuer", f"output {output} is missing")
    check(t["Outputs"]["OAuthScope"]["Value"] == env("PreMessage")["OAUTH_SCOPES"]["Fn::If"][1],
          "the scope output is not the scope the functions require")


MUTANTS = {
    test_registry: [
        ("log binary renamed", lambda t: set_path(t, ["Resources", "LogFunction", "Metadata", "BuildProperties", "Binary"], "logwebhook")),
        ("dialog URL output removed", lambda t: t["Outputs"].pop("DialogWebhookUrl")),
        ("post-message URL output points at pre-message", lambda t: set_path(t, ["Outputs", "PostMessageWebhookUrl", "Value"],
                                                                               {"Fn::GetAtt": ["PreMessageFunctionUrl", "FunctionUrl"]})),
        ("dialog on the webhook secret", lambda t: set_path(t, ["Resources", "DialogFunction", "Properties", "Environment", "Variables", "WEBHOOK_SECRET"],
                                                              {"Ref": "WebhookSecret"})),
        ("dialog auth defaults to jwt", lambda t: set_path(t, ["Parameters", "DialogWebhookAuth", "Default"], "jwt")),
    ],
    test_function_roles: [
        ("basic execution role back", lambda t: res(t, "DialogFunctionRole").setdefault("ManagedPolicyArns", []).append(
            "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")),
        ("logs on every group", lambda t: set_path(t, ["Resources", "PostMessageLogsPolicy", "Properties", "PolicyDocument",
                                                      "Statement", 0, "Resource"], "*")),
        ("logs policy lost", lambda t: t["Resources"].pop("LogFunctionLogsPolicy")),
        ("SAM's own role", lambda t: set_path(t, ["Resources", "PreMessageFunction", "Properties", "Role"],
                                             {"Fn::GetAtt": ["SomeOtherRole", "Arn"]})),
    ],
    test_log_quarantine: [
        ("quarantine not writable", lambda t: res(t, "LogFunctionRole")["Policies"][0]["PolicyDocument"]["Statement"].pop(2)),
        ("quarantine inside the table", lambda t: set_path(t, ["Resources", "LogFunction", "Properties", "Environment",
                                                              "Variables", "LOG_QUARANTINE_PREFIX"], "events/")),
        ("quarantine kept forever", lambda t: res(t, "LogBucket")["LifecycleConfiguration"]["Rules"].pop(2)),
    ],
    test_webhook_auth: [
        ("oauth2 not offered", lambda t: t["Parameters"]["WebhookAuth"]["AllowedValues"].remove("oauth2")),
        ("short secrets accepted", lambda t: set_path(t, ["Parameters", "WebhookSecret", "AllowedPattern"], ".*")),
        ("dialog reads the stored secret", lambda t: res(t, "DialogFunction")["Environment"]["Variables"].pop("WEBHOOK_SECRET_PARAMETER")),
        ("every parameter", lambda t: set_path(t, ["Resources", "WebhookSecretReadPolicy", "Properties", "PolicyDocument", "Statement", 0, "Resource"], "*")),
        ("dialog role reads the secret", lambda t: res(t, "WebhookSecretReadPolicy")["Roles"].append({"Ref": "DialogFunctionRole"})),
        ("authorization-code flow allowed", lambda t: res(t, "OAuthAppClient")["AllowedOAuthFlows"].append("code")),
        ("user pool always created", lambda t: t["Resources"]["OAuthUserPool"].pop("Condition")),
    ],
    test_parameters: [
        ("AlarmEmail removed", lambda t: t["Parameters"].pop("AlarmEmail")),
        ("dialog previous secret echoed", lambda t: t["Parameters"]["DialogWebhookSecretPrevious"].pop("NoEcho")),
        ("scan limit default 0", lambda t: set_path(t, ["Parameters", "AthenaBytesScannedCutoffPerQuery", "Default"], 0)),
    ],
    test_reserved_concurrency: [
        ("log cap always set", lambda t: set_path(t, ["Resources", "LogFunction", "Properties", "ReservedConcurrentExecutions"],
                                                  {"Ref": "LogReservedConcurrency"})),
        ("dialog condition inverted", lambda t: set_path(t, ["Conditions", "DialogConcurrencyReserved"],
                                                         {"Fn::Equals": [{"Ref": "DialogReservedConcurrency"}, "0"]})),
    ],
    test_kms_wiring: [
        ("log function's log group on the default key", lambda t: res(t, "LogFunctionLogGroup").pop("KmsKeyId")),
        ("premessage environment on the default key", lambda t: res(t, "PreMessageFunction").pop("KmsKeyArn")),
        ("log role cannot decrypt", lambda t: res(t, "FunctionsKmsDecryptPolicy")["Roles"].pop()),
    ],
    test_dialog_rotation: [
        ("dialog previous secret fixed to empty", lambda t: set_path(
            t, ["Resources", "DialogFunction", "Properties", "Environment", "Variables", "WEBHOOK_SECRET_PREVIOUS"], "")),
    ],
    test_alarms: [
        ("wrong EMF namespace", lambda t: set_path(t, ["Resources", first_alarm(t, "PassThrough"), "Properties", "Namespace"], "WatsonWebhook")),
        ("log URL 5xx alarm removed", lambda t: t["Resources"].pop("LogUrl5xxAlarm")),
        ("duration threshold at the timeout", lambda t: set_path(t, ["Resources", "DialogDurationAlarm", "Properties", "Threshold"], 10000)),
        ("alarm without actions", lambda t: res(t, "PostMessageThrottlesAlarm").pop("AlarmActions")),
        ("refused alarm counts only", lambda t: res(t, "PreMessageRefusedAlarm")["Metrics"].pop(0)),
    ],
    test_alarm_topic: [
        ("topic unencrypted", lambda t: res(t, "AlarmTopic").pop("KmsMasterKeyId")),
        ("CloudWatch left out of the key policy", lambda t: res(t, "AlarmTopicKey")["KeyPolicy"]["Statement"].pop()),
    ],
    test_dashboard: [
        ("body not JSON", lambda t: set_path(t, ["Resources", "Dashboard", "Properties", "DashboardBody", "Fn::Sub"],
                                             res(t, "Dashboard")["DashboardBody"]["Fn::Sub"].rstrip()[:-1] + ",}")),
        ("unknown placeholder", lambda t: set_path(t, ["Resources", "Dashboard", "Properties", "DashboardBody", "Fn::Sub"],
                                                   res(t, "Dashboard")["DashboardBody"]["Fn::Sub"].replace("${DialogFunction}", "${DialogFn}"))),
        ("no p99", lambda t: set_path(t, ["Resources", "Dashboard", "Properties", "DashboardBody", "Fn::Sub"],
                                      res(t, "Dashboard")["DashboardBody"]["Fn::Sub"].replace('"p99"', '"p90"'))),
        ("region fixed", lambda t: set_path(t, ["Resources", "Dashboard", "Properties", "DashboardBody", "Fn::Sub"],
                                            res(t, "Dashboard")["DashboardBody"]["Fn::Sub"].replace("${AWS::Region}", "us-east-1"))),
    ],
    test_budget: [
        ("service misnamed", lambda t: set_path(t, ["Resources", "TranslateBudget", "Properties", "Budget", "CostFilters"],
                                                {"Service": ["Translate"]})),
        ("budget unconditional", lambda t: t["Resources"]["TranslateBudget"].pop("Condition")),
    ],
    test_bucket: [
        ("versioning suspended", lambda t: set_path(t, ["Resources", "LogBucket", "Properties", "VersioningConfiguration", "Status"], "Suspended")),
    ],
    test_bucket_policy: [
        ("TLS floor 1.0", lambda t: [s["Condition"]["NumericLessThan"].update({"s3:TlsVersion": 1.0})
                                     for s in res(t, "LogBucketPolicy")["PolicyDocument"]["Statement"]
                                     if "NumericLessThan" in s.get("Condition", {})]),
        ("writer statement denies s3:*", lambda t: [s.update({"Action": "s3:*"})
                                                    for s in res(t, "LogBucketPolicy")["PolicyDocument"]["Statement"]
                                                    if "ArnNotLike" in s.get("Condition", {})]),
        ("writer statement excepts everyone", lambda t: [s["Condition"]["ArnNotLike"].update({"aws:PrincipalArn": "arn:aws:iam::*"})
                                                         for s in res(t, "LogBucketPolicy")["PolicyDocument"]["Statement"]
                                                         if "ArnNotLike" in s.get("Condition", {})]),
        ("Athena results denied", lambda t: [s.update({"NotResource": {"Fn::Sub": "${LogBucket.Arn}/nothing/*"}})
                                             for s in res(t, "LogBucketPolicy")["PolicyDocument"]["Statement"]
                                             if "ArnNotLike" in s.get("Condition", {})]),
    ],
    test_glue_projection: [
        ("unnamed left out", lambda t: res(t, "LogTable")["TableInput"]["Parameters"].update(
            {"projection.event.values": "message_logged,cdr_logged"})),
    ],
    test_translation_settings: [
        ("profanity setting dropped", lambda t: res(t, "PostMessageFunction")["Environment"]["Variables"].pop("TRANSLATE_PROFANITY")),
        ("terminology always created", lambda t: t["Resources"]["Terminology"].pop("Condition")),
        ("a CSV row short of a cell", lambda t: set_path(
            t, ["Resources", "Terminology", "Properties", "TerminologyData", "File", "Fn::Base64"],
            res(t, "Terminology")["TerminologyData"]["File"]["Fn::Base64"] + "refund,reembolso\n")),
        ("formality pattern accepts anything", lambda t: set_path(t, ["Parameters", "TranslateFormality", "AllowedPattern"], ".*")),
    ],
    test_translation_memory: [
        ("table always created", lambda t: t["Resources"]["TranslationTable"].pop("Condition")),
        ("provisioned", lambda t: set_path(t, ["Resources", "TranslationTable", "Properties", "BillingMode"], "PROVISIONED")),
        ("TTL on another attribute", lambda t: set_path(
            t, ["Resources", "TranslationTable", "Properties", "TimeToLiveSpecification", "AttributeName"], "ttl")),
        ("no point-in-time recovery", lambda t: res(t, "TranslationTable").pop("PointInTimeRecoverySpecification")),
        ("table on the default key only", lambda t: res(t, "TranslationTable")["SSESpecification"].pop("KMSMasterKeyId")),
        ("dialog without the table name", lambda t: res(t, "DialogFunction")["Environment"]["Variables"].pop("TRANSLATION_TABLE")),
        ("use counts not allowed", lambda t: res(t, "PreMessageTranslationMemoryPolicy")["PolicyDocument"]["Statement"][0]["Action"].remove("dynamodb:UpdateItem")),
        ("scan allowed", lambda t: res(t, "TranslationMemoryPolicy")["PolicyDocument"]["Statement"][0]["Action"].append("dynamodb:Scan")),
        ("every table", lambda t: set_path(t, ["Resources", "TranslationMemoryPolicy", "Properties", "PolicyDocument", "Statement", 0, "Resource"], "*")),
        ("pre-message always allowed", lambda t: res(t, "TranslationMemoryPolicy")["Roles"].append({"Ref": "PreMessageFunctionRole"})),
        ("inputs opt-in ignored", lambda t: set_path(t, ["Conditions", "TranslationMemoryForInputs"], {"Condition": "TranslationMemoryOn"})),
        ("dialog may write", lambda t: res(t, "DialogTranslationMemoryPolicy")["PolicyDocument"]["Statement"][0]["Action"].append("dynamodb:PutItem")),
        ("admission key dropped", lambda t: res(t, "PostMessageFunction")["Environment"]["Variables"].pop("MEMORY_ADMIT_KEY")),
        ("admission key echoed", lambda t: t["Parameters"]["MemoryAdmitKey"].pop("NoEcho")),
        ("templates setting dropped", lambda t: res(t, "PreMessageFunction")["Environment"]["Variables"].pop("TRANSLATION_TEMPLATES")),
    ],
    test_masking: [
        ("secret echoed", lambda t: t["Parameters"]["MaskSecret"].pop("NoEcho")),
        ("short secrets allowed", lambda t: set_path(t, ["Parameters", "MaskSecret", "AllowedPattern"], ".*")),
        ("postmessage cannot reinsert", lambda t: res(t, "PostMessageFunction")["Environment"]["Variables"].pop("MASK_SECRET")),
        ("the log gets the secret", lambda t: res(t, "LogFunction")["Environment"]["Variables"].update({"MASK_SECRET": {"Ref": "MaskSecret"}})),
        ("no rule", lambda t: t["Rules"].pop("MaskSecretRequiredWhenMasking")),
        ("on by default", lambda t: set_path(t, ["Parameters", "MaskPersonalData", "Default"], "all")),
    ],
    test_recordings: [
        ("bucket on SSE-S3", lambda t: res(t, "RecordingsBucket")["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
            .update({"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}})),
        ("function asks for no key", lambda t: res(t, "AudioFunction")["Environment"]["Variables"].pop("AUDIO_KMS_KEY_ARN")),
        ("key deleted with the stack", lambda t: t["Resources"]["RecordingsKey"].update({"DeletionPolicy": "Delete"})),
        ("recordings kept forever", lambda t: res(t, "RecordingsBucket")["LifecycleConfiguration"]["Rules"].pop(0)),
        ("function may read", lambda t: res(t, "AudioFunctionRole")["Policies"][0]["PolicyDocument"]["Statement"][0]["Action"].append("s3:GetObject")),
        ("objects without KMS accepted", lambda t: [s["Condition"]["StringNotEquals"].update({"s3:x-amz-server-side-encryption": "AES256"})
                                                    for s in res(t, "RecordingsBucketPolicy")["PolicyDocument"]["Statement"]
                                                    if "StringNotEquals" in s.get("Condition", {})]),
        ("anyone writes", lambda t: [s["Condition"]["ArnNotLike"].update({"aws:PrincipalArn": "arn:aws:iam::*"})
                                     for s in res(t, "RecordingsBucketPolicy")["PolicyDocument"]["Statement"]
                                     if "ArnNotLike" in s.get("Condition", {})]),
        ("filter on another message", lambda t: res(t, "AudioNotStoredMetricFilter").update(
            {"FilterPattern": '{ $.fields.message = "recording lost" }'})),
        ("no alarm on it", lambda t: t["Resources"].pop("AudioNotStoredAlarm")),
    ],
    test_athena_limit: [
        ("no scan limit", lambda t: res(t, "LogWorkGroup")["WorkGroupConfiguration"].pop("BytesScannedCutoffPerQuery")),
    ],
}


def main(argv):
    template = argv[1] if len(argv) > 1 else os.path.join(REPO, "template.yaml")
    transformed = transform(template)
    facts = rust_facts()
    passed = failed = 0
    for test, mutants in MUTANTS.items():
        name = test.__name__.removeprefix("test_")
        try:
            test(copy.deepcopy(transformed), facts)
        except (Failure, KeyError, TypeError, StopIteration) as e:
            failed += 1
            print(f"FAIL {name}: {type(e).__name__ + ': ' if not isinstance(e, Failure) else ''}{e}")
            continue
        uncaught = []
        for label, mutate in mutants:
            mutant = copy.deepcopy(transformed)
            mutate(mutant)
            try:
                test(mutant, facts)
                uncaught.append(label)
            except Failure:
                pass  # caught, with the test's own message
            except (KeyError, TypeError, StopIteration) as e:
                uncaught.append(f"{label} (crashed: {type(e).__name__}: {e})")
        if uncaught:
            failed += 1
            print(f"FAIL {name}: passes on its mutants {uncaught}, so it cannot fail there")
        else:
            passed += 1
            print(f"ok   {name} (catches {len(mutants)} mutant{'s' if len(mutants) != 1 else ''})")
    print(f"template tests: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
