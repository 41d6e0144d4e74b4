#!/usr/bin/python3
"""ui_driver.py: drives the faas dashboard in headless Chromium over the DevTools protocol, for
test/e2e/ui.sh (which starts faas, deploys the function and starts Chromium).

It logs in with #key=, checks the fragment leaves the address bar, finds the function running on
the functions page, sees a line the function printed in its followed log, rolls back to revision 1
with the button, opens the deploy and system pages, checks a phone-wide screen does not scroll
sideways, deploys a third version through the deploy form, runs a job function from its page,
and that a read key sees the write buttons disabled. It runs test/ui/metrics_check.js in
the page, and fails on any script error or Content-Security-Policy report. Every wait has a
deadline. Prints "ok <check>" / "FAIL <check>: <why>" lines (ui.sh counts them) and saves a
screenshot of each page into UI_OUT.

Environment: CDP_PORT, UI_URL (faas's base URL), UI_KEY (the passkey), UI_READ_KEY, UI_FN (the
function), UI_JOB (a job function), UI_OUT (screenshot folder), UI_METRICS_CHECK (path of metrics_check.js).
"""
import base64
import json
import os
import sys
import time
import urllib.request
import uuid

import websocket

ENV = os.environ
URL, FN, OUT = ENV["UI_URL"], ENV["UI_FN"], ENV["UI_OUT"]
shots = []


def report(ok, desc, why=""):
    print(("ok   " if ok else "FAIL ") + desc + ("" if ok or not why else f": {why}"), flush=True)
    return ok


class Browser:
    """One page target of a running Chromium, over its DevTools websocket."""

    def __init__(self, port):
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
        page = next(t for t in targets if t["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60, suppress_origin=True)
        self.next_id = 0
        self.problems = []  # script errors and CSP reports seen on the page
        for domain in ("Page", "Runtime", "Log", "DOM"):
            self.call(f"{domain}.enable")

    def _event(self, msg):
        method, params = msg.get("method"), msg.get("params", {})
        if method == "Runtime.exceptionThrown":
            d = params.get("exceptionDetails", {})
            self.problems.append("exception: " + str(d.get("exception", {}).get("description", d.get("text"))))
        elif method == "Log.entryAdded":
            e = params.get("entry", {})
            text = e.get("text", "")
            if "Content Security Policy" in text or (e.get("level") == "error" and e.get("source") == "security"):
                self.problems.append("csp: " + text)

    def call(self, method, **params):
        self.next_id += 1
        mid = self.next_id
        self.ws.send(json.dumps({"id": mid, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == mid:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self._event(msg)

    def eval(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError(r["exceptionDetails"].get("exception", {}).get("description", "exception"))
        return r["result"].get("value")

    def wait(self, expr, secs):
        """Polls expr until it is truthy; its value (true for an element), or None at the deadline."""
        deadline = time.time() + secs
        while time.time() < deadline:
            try:
                v = self.eval(f"(() => {{ const v = ({expr}); return v instanceof Node ? true : v; }})()")
                if v:
                    return v
            except RuntimeError:
                pass
            time.sleep(0.1)
        return None

    def screen(self, width, height, mobile=False):
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=mobile)

    def screenshot(self, name):
        m = self.call("Page.getLayoutMetrics")
        size = m.get("cssContentSize") or m["contentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 5000), "scale": 1}
        r = self.call("Page.captureScreenshot", format="png", clip=clip, captureBeyondViewport=True)
        path = os.path.join(OUT, name)
        with open(path, "wb") as f:
            f.write(base64.b64decode(r["data"]))
        shots.append(path)

    def go(self, url):
        self.call("Page.navigate", url=url)


def function_answer(path="/"):
    req = urllib.request.Request(URL + path, headers={"Host": f"{FN}.localhost"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.read().decode()


def js(s):
    return json.dumps(s)


def deploy_v3(b):
    """Uploads UI_ZIP3 (v3) through the deploy form; the build log streams, the outcome says so."""
    b.eval(f"document.querySelector('#dep-name').value = {js(FN)}")
    doc = b.call("DOM.getDocument")
    node = b.call("DOM.querySelector", nodeId=doc["root"]["nodeId"], selector="#dep-file")
    b.call("DOM.setFileInputFiles", nodeId=node["nodeId"], files=[ENV["UI_ZIP3"]])
    report(bool(b.wait("document.querySelector('#drop').textContent.includes('v3.zip')", 5)), "deploy page: the zip is chosen")
    b.eval("document.querySelector('#dep-submit').click()")
    got = b.wait("document.querySelector('#dep-outcome .ok, #dep-outcome .error')", 180)
    outcome = b.eval("document.querySelector('#dep-outcome').innerText")
    report(bool(got) and outcome.startswith("Deployed: revision 3, running"), "deploy page: the upload builds and serves revision 3", outcome)
    log = b.eval("document.querySelector('#dep-log').textContent")
    report("faas: building" in log and "succeeded" in log, "deploy page: the build log was streamed into the page", log[-300:])
    answer = function_answer()
    report(answer.startswith("v3 "), "v3 serves after the dashboard's deploy", answer)


def job_page(b):
    """Runs the job function UI_JOB from its page's execute form; the invocation is listed."""
    job = ENV["UI_JOB"]
    b.eval(f"location.hash = '#/function/{job}'")
    report(bool(b.wait("document.querySelector('#exec-run') && document.querySelector('#invocations')", 20)), "job page: execute form and invocations")
    b.eval("document.querySelector('#exec-input').value = 'name=Dashboard'")
    b.eval("document.querySelector('#exec-run').click()")
    got = b.wait("document.querySelector('#exec-output').textContent.includes('Hello, Dashboard!')", 60)
    report(bool(got), "job page: execute runs it with the input and shows the output",
           b.eval("document.querySelector('#exec-output').textContent"))
    got = b.wait("document.querySelector('#invocations td.mono') && document.querySelector('#invocations td.mono').textContent.includes('Hello, Dashboard!')", 20)
    report(bool(got), "job page: the invocation is listed")
    b.screenshot("job.png")


def admin_pages(b):
    key = ENV["UI_KEY"]
    b.screen(1280, 900)
    b.go(f"{URL}/ui/#key={key}")
    row = f"document.querySelector('tr[data-name={js(FN)}] .status .st')"
    got = b.wait(f"{row} && {row}.textContent === 'running'", 30)
    report(bool(got), "functions page: the function is listed, status running",
           b.eval(f"document.getElementById('main').innerText.slice(0, 400)") if not got else "")
    href = b.eval("location.href")
    report("key=" not in href and href.endswith("#/functions"), "the #key= fragment is removed from the address bar", href)
    report(b.eval("sessionStorage.getItem('faas.key')") == key, "the key is held in sessionStorage")
    report(b.eval("document.getElementById('who-name').textContent") == "passkey (admin)", "the header names the key and its scope")
    b.screenshot("functions.png")

    fails = b.eval(open(ENV["UI_METRICS_CHECK"]).read())
    report(fails == [], "metrics.js as served: metrics_check.js passes in the page", "; ".join(fails or []))

    b.eval(f"location.hash = '#/function/{FN}'")
    report(bool(b.wait("document.querySelector('#log') && document.querySelector('#revisions table')", 20)),
           "function page: record, followed log and revisions shown")
    # The log starts with the tail (the readiness probes' lines): then the follow is open.
    b.wait("document.querySelector('#log').textContent.includes('request /')", 20)
    probe = f"/ui-probe-{uuid.uuid4().hex[:8]}"
    answer = function_answer(probe)
    got = b.wait(f"document.querySelector('#log').textContent.includes('request {probe}')", 30)
    tail = b.eval("document.querySelector('#log').textContent.slice(-300)")
    report(bool(got), "the followed log shows the line the function printed for a request made after opening it",
           f"answer {answer!r}; log: {tail!r}")
    b.screenshot("function.png")

    button = "document.querySelector('button.rollback[data-revision=\"1\"]')"
    report(bool(b.wait(f"{button} && !{button}.disabled", 10)), "the rollback button of revision 1 is enabled for an admin key")
    report(function_answer().startswith("v2 "), "before the click, v2 serves")
    b.eval(f"{button}.click()")
    got = b.wait("document.querySelector('#revisions tr.current[data-revision=\"1\"]')", 120)
    report(bool(got), "after clicking rollback the page shows revision 1 current",
           b.eval("document.querySelector('#revisions').innerText") if not got else "")
    answer = function_answer()
    report(answer.startswith("v1 "), "after clicking rollback the function serves v1", answer)
    report(bool(b.wait("document.getElementById('flash').textContent.includes('Rolled back to revision 1')", 5)),
           "the page says it rolled back")
    b.screenshot("function-rollback.png")

    b.eval("location.hash = '#/deploy'")
    ok = b.wait("document.querySelector('#dep-submit') && document.querySelector('#dep-runtime option[value=default]')", 10)
    report(bool(ok) and not b.eval("document.querySelector('#dep-submit').disabled"), "deploy page: the upload form, enabled for an admin key")
    deploy_v3(b)
    b.screenshot("deploy.png")

    job_page(b)

    b.eval("location.hash = '#/system'")
    ok = b.wait("document.querySelector('tr[data-setting=\"domain\"]') && document.querySelector('tr[data-setting=\"domain\"]').innerText.includes('localhost')", 10)
    report(bool(ok), "system page: the resolved configuration (domain localhost)")
    report(bool(b.wait("document.getElementById('main').innerText.includes('ACME is off')", 10)), "system page: certificates")
    report(key not in b.eval("document.body.innerText"), "the configuration shows no key")
    b.screenshot("system.png")

    b.screen(375, 812, mobile=True)
    for page, name, ready in (("#/functions", "functions-phone.png", f"document.querySelector('tr[data-name={js(FN)}]')"),
                              (f"#/function/{FN}", "function-phone.png", "document.querySelector('#revisions table')")):
        b.eval(f"location.hash = '{page}'")
        b.wait(ready, 20)
        width = b.eval("document.documentElement.scrollWidth")
        report(width <= 375, f"375 px wide, {page} does not scroll sideways", f"scrollWidth {width}")
        b.screenshot(name)
    b.screen(1280, 900)


def read_key_pages(b):
    b.go(f"{URL}/ui/?as=read#key={ENV['UI_READ_KEY']}")
    report(bool(b.wait("document.getElementById('who-name').textContent.endsWith('(read)')", 20)), "a read key logs in")
    b.eval(f"location.hash = '#/function/{FN}'")
    ready = b.wait("document.querySelectorAll('#revisions button.rollback').length > 0", 20)
    buttons = b.eval("[...document.querySelectorAll('button.rollback, #scale-save, .actions button')]"
                     ".filter(x => x.textContent !== 'Stop following' && x.textContent !== 'Clear' && !x.textContent.startsWith('Show'))"
                     ".map(x => [x.textContent, x.disabled, x.title])") or []
    bad = [x for x in buttons if not x[1] or "needs a deploy key" not in x[2]]
    report(bool(ready) and len(buttons) >= 5 and not bad,
           "read key: rollback, scale, start, stop and delete disabled, titled 'needs a deploy key'", json.dumps(bad or buttons))
    report("request " in b.eval("document.querySelector('#log').textContent") or bool(b.wait("document.querySelector('#log').textContent.includes('request ')", 15)),
           "read key: the log is readable")
    b.screenshot("function-read.png")
    b.eval("location.hash = '#/deploy'")
    b.wait("document.querySelector('#dep-submit')", 10)
    report(bool(b.eval("document.querySelector('#dep-submit').disabled")), "read key: the deploy button is disabled")
    b.screenshot("deploy-read.png")
    b.eval(f"location.hash = '#/function/{ENV['UI_JOB']}'")
    b.wait("document.querySelector('#exec-run')", 20)
    title = b.eval("document.querySelector('#exec-run').disabled && document.querySelector('#exec-run').title")
    report("needs an invoke or deploy key" in str(title), "read key: the execute button is disabled", str(title))

    b.go(f"{URL}/ui/?as=bad#key=not-a-key")
    got = b.wait("document.querySelector('#login .error') && document.querySelector('#login .error').textContent", 20)
    report(got == "That key was refused.", "a wrong key: the login form says it was refused", str(got))
    report(b.eval("sessionStorage.getItem('faas.key')") is None, "a wrong key is not kept")
    b.screenshot("login-refused.png")


def main():
    b = Browser(int(ENV["CDP_PORT"]))
    try:
        admin_pages(b)
        read_key_pages(b)
    except Exception as e:  # a broken step fails the test with its reason, never silently
        report(False, "the browser session ran to its end", repr(e))
    report(not b.problems, "no script error and no Content-Security-Policy report", "; ".join(b.problems[:5]))
    for p in shots:
        print(f"screenshot: {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
