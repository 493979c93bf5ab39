"""The web console in headless Chromium (see scripts/console-e2e).

Every step asserts what a person at the browser would see; the first failure ends the run with its
reason and a screenshot of the page it happened on.
"""
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid

import boto3
from axe_selenium_python import Axe
from botocore.config import Config
from botocore.exceptions import ClientError
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

CISTERN, ARTIFACTS = sys.argv[1], sys.argv[2]
WORK = tempfile.mkdtemp(prefix="cistern-console-")
S3 = {key: os.environ[f"CISTERN_TEST_S3_{key}"] for key in ("ENDPOINT", "ACCESS_KEY", "SECRET_KEY")}
PASSWORD = "Passw0rd!"
driver = None
server = None
audited = []


def fail(what):
    if driver is not None:
        driver.save_screenshot(os.path.join(ARTIFACTS, "failure.png"))
    sys.exit(f"console-e2e: {what}")


def expect(condition, what):
    if not condition:
        fail(what)


def free_ports(count):
    import socket
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def http(method, url, body=None, token=None):
    request = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode())
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()
    except (urllib.error.URLError, ConnectionError):
        return 0, {}, ""


def wait(condition, timeout=15, what="the page to show it"):
    try:
        return WebDriverWait(driver, timeout).until(condition)
    except TimeoutException:
        fail(f"waited {timeout} s for {what}")


def visible(css, what=None):
    return wait(EC.visibility_of_element_located((By.CSS_SELECTOR, css)), what=what or css)


def heading(text):
    wait(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "main h1"), text), what=f"the heading '{text}'")


def go(hash_route, title):
    driver.get(f"{BASE}/console/{hash_route}")
    heading(title)


def fill(form, **fields):
    for name, value in fields.items():
        control = form.find_element(By.NAME, name)
        if control.tag_name == "select":
            Select(control).select_by_value(value)
        else:
            control.clear()
            control.send_keys(value)


AXE_SCRIPT = os.path.join(os.path.dirname(importlib.util.find_spec("axe_playwright_python").origin), "axe.min.js")


def check_page(name):
    """axe (WCAG 2.1 A and AA rules) on the page as it stands, a screenshot, and no CSP report in
    the browser's log."""
    axe = Axe(driver, script_url=AXE_SCRIPT)
    axe.inject()
    results = axe.run(options='{"resultTypes": ["violations"], "runOnly": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}')
    violations = [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}" for v in results["violations"]]
    expect(not violations, f"axe on {name}: " + "; ".join(violations))
    driver.save_screenshot(os.path.join(ARTIFACTS, f"{name}.png"))
    logs = [entry["message"] for entry in driver.get_log("browser") if "Content Security Policy" in entry["message"] or entry["level"] == "SEVERE"]
    expect(not [m for m in logs if "Content Security Policy" in m], f"CSP violations on {name}: {logs}")
    audited.append(name)


def texts(css):
    return [element.text for element in driver.find_elements(By.CSS_SELECTOR, css)]


def main():
    global driver, server, BASE
    port, gateway_port = free_ports(2)
    BASE = f"http://127.0.0.1:{port}"
    environment = dict(os.environ, CISTERN_BCRYPT_COST="4", CISTERN_MONITOR_INTERVAL="0", CISTERN_LOG_LEVEL="warning")
    log = open(os.path.join(WORK, "server.log"), "w")
    server = subprocess.Popen([CISTERN, "serve", "--data-dir", os.path.join(WORK, "data"), "--port", str(port), "--gateway-port", str(gateway_port)],
                              env=environment, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(300):
        if _is_up(port) and http("GET", f"{BASE}/health")[0] == 200:
            break
        time.sleep(0.1)
    expect(http("GET", f"{BASE}/health")[0] == 200, "the server did not start")

    # The pages come with a strict Content-Security-Policy.
    status, headers, page = http("GET", f"{BASE}/console/")
    expect(status == 200 and "<script type=\"module\" src=\"/console/app.js\">" in page, f"GET /console/ answered {status}")
    policy = headers.get("Content-Security-Policy", "")
    for directive in ("default-src 'self'", "frame-ancestors 'none'", "script-src 'self'"):
        expect(directive in policy, f"the console's CSP lacks {directive}: {policy}")
    expect("unsafe-inline" not in policy and "unsafe-eval" not in policy, f"the CSP allows inline code: {policy}")

    s3 = boto3.client("s3", endpoint_url=S3["ENDPOINT"], aws_access_key_id=S3["ACCESS_KEY"], aws_secret_access_key=S3["SECRET_KEY"],
                      region_name="us-east-1", config=Config(s3={"addressing_style": "path"}))
    buckets = [f"console-{uuid.uuid4().hex[:10]}" for _ in range(2)]
    for bucket in buckets:
        s3.create_bucket(Bucket=bucket)

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000", "--lang=en-US"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)

    # Sign-in page, by keyboard: focus starts on the page's heading, then the fields in order;
    # before the heading come the skip link and the brand.
    go("", "Sign in to Cistern")
    expect(driver.switch_to.active_element.text == "Sign in to Cistern", "focus does not start on the page's heading")
    order = []
    for _ in range(4):
        driver.switch_to.active_element.send_keys(Keys.TAB)
        active = driver.switch_to.active_element
        order.append(active.get_attribute("name") or active.text)
    expect(order == ["email", "password", "Sign in", "Register your organization"], f"focus order on the sign-in page: {order}")
    backwards = []
    for _ in range(5):
        driver.switch_to.active_element.send_keys(Keys.SHIFT, Keys.TAB)
        backwards.append(driver.switch_to.active_element.text)
    expect(backwards[-2:] == ["Cistern", "Skip to content"], f"backwards from the sign-in page: {backwards}")
    check_page("sign-in")

    # Register an organization.
    driver.find_element(By.LINK_TEXT, "Register your organization").click()
    heading("Register your organization")
    owner_email = f"owner-{uuid.uuid4().hex[:8]}@example.com"
    form = driver.find_element(By.CSS_SELECTOR, "main form")
    fill(form, companyName="Console Inc", firstName="Ada", lastName="Lovelace", email=owner_email, password=PASSWORD)
    check_page("register")
    form.submit()
    heading("Overview")
    expect(driver.execute_script("return sessionStorage.getItem('cistern.refreshToken')"), "no refresh token kept for the tab")
    expect(not driver.execute_script("return localStorage.length"), "the console wrote to localStorage")
    check_page("overview-empty")

    # Add two buckets; the first with a wrong secret, whose verdict shows beside the secret.
    go("#/buckets/new", "Add bucket")
    form = driver.find_element(By.ID, "add-bucket")
    fill(form, name="first", bucket=buckets[0], key=S3["ACCESS_KEY"], secret="not-the-secret", endpoint=S3["ENDPOINT"])
    form.submit()
    verdict = wait(lambda d: d.find_element(By.NAME, "secret").find_element(By.XPATH, "..").find_element(By.CLASS_NAME, "verdict").text or False,
                   what="the provider's verdict beside the secret")
    expect(driver.find_element(By.NAME, "secret").get_attribute("aria-invalid") == "true", "the secret is not marked invalid")
    check_page("add-bucket-refused")
    fill(form, secret=S3["SECRET_KEY"])
    form.submit()
    heading("first")
    expect("ONLINE" in texts(".badge"), f"the new bucket is not ONLINE: {texts('.badge')} (verdict was {verdict!r})")
    expect("last 1 check," in driver.find_element(By.CSS_SELECTOR, "figure.history").text, "the history chart of a new bucket")
    driver.find_element(By.ID, "check-now").click()
    wait(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "figure.history figcaption"), "last 2 checks, oldest on the left (2 checks, 2 online)"),
         what="the chart to show the check just made")
    expect(len(driver.find_elements(By.CSS_SELECTOR, "figure.history circle")) == 2, "the chart does not draw each check")
    check_page("bucket-detail")
    form = driver.find_element(By.ID, "edit-bucket")
    fill(form, name="first bucket")
    form.submit()
    heading("first bucket")
    expect(driver.find_element(By.NAME, "secret").get_attribute("value") == "", "the edit form shows a secret")
    go("#/buckets/new", "Add bucket")
    form = driver.find_element(By.ID, "add-bucket")
    fill(form, name="second", bucket=buckets[1], key=S3["ACCESS_KEY"], secret=S3["SECRET_KEY"], endpoint=S3["ENDPOINT"])
    form.submit()
    heading("second")
    go("#/buckets", "Buckets")
    rows = driver.find_elements(By.CSS_SELECTOR, "#bucket-results tbody tr")
    expect(len(rows) == 2 and all("ONLINE" in row.text for row in rows), f"the bucket list: {[row.text for row in rows]}")
    expect(S3["SECRET_KEY"] not in driver.page_source, "a bucket secret is on the page")
    Select(driver.find_element(By.NAME, "status")).select_by_value("OFFLINE")
    wait(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "#bucket-results .count"), "0 of 2"), what="the status filter")
    Select(driver.find_element(By.NAME, "status")).select_by_value("")
    check_page("buckets")

    # A MIRROR repository from the available list: the dry run explains a missing master first.
    go("#/repositories/new", "New repository")
    form = driver.find_element(By.ID, "add-repository")
    fill(form, name="Archive")
    Select(form.find_element(By.NAME, "mode")).select_by_value("MIRROR")
    for box in form.find_elements(By.CSS_SELECTOR, "input[name=member]"):
        box.click()
    driver.find_element(By.ID, "dry-run").click()
    wait(EC.text_to_be_present_in_element((By.ID, "repository-verdict"), "master"), what="the sentence for a missing master")
    expect("MIRROR_MASTER" not in driver.find_element(By.ID, "repository-verdict").text, "an error code instead of a sentence")
    form.find_elements(By.CSS_SELECTOR, "input[name=master]")[0].click()
    driver.find_element(By.ID, "dry-run").click()
    wait(EC.text_to_be_present_in_element((By.ID, "repository-verdict"), "can be created"), what="a passing dry run")
    check_page("add-repository")
    form.submit()
    heading("Archive")
    expect("master" in driver.find_element(By.CSS_SELECTOR, "main table").text, "the members table shows no master")

    # A key: its secret shown once, with settings for the gateway that work.
    form = driver.find_element(By.ID, "create-key")
    fill(form, name="laptop", accessType="WRITE")
    form.submit()
    secret = visible("#new-key-secret", "the new key's secret").text
    key = driver.find_element(By.ID, "new-key-id").text
    wait(EC.text_to_be_present_in_element((By.ID, "keys"), "laptop"), what="the new key in the keys table")
    expect(secret not in driver.find_element(By.ID, "keys").text, "the keys table shows the secret")
    rclone = driver.find_element(By.ID, "settings-rclone").text
    expect(f"endpoint = http://127.0.0.1:{gateway_port}" in rclone and secret in rclone, f"the rclone settings: {rclone}")
    check_page("key-created")
    gateway = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{gateway_port}", aws_access_key_id=key, aws_secret_access_key=secret,
                           region_name="us-east-1", config=Config(s3={"addressing_style": "path"}))
    gateway.put_object(Bucket=buckets[0], Key="hello.txt", Body=b"from the console's key")
    expect(gateway.get_object(Bucket=buckets[0], Key="hello.txt")["Body"].read() == b"from the console's key", "the key does not work")
    driver.refresh()
    heading("Archive")
    expect(secret not in driver.page_source, "the key's secret is shown again after a reload")
    check_page("repository")

    # Revoke the key: the gateway refuses it on its very next request.
    driver.find_element(By.CSS_SELECTOR, "button[aria-label='Revoke laptop']").click()
    driver.switch_to.alert.accept()
    wait(EC.text_to_be_present_in_element((By.ID, "keys"), "No key yet"), what="the revoked key to leave the table")
    try:
        gateway.get_object(Bucket=buckets[0], Key="hello.txt")
        fail("the revoked key still reads through the gateway")
    except ClientError as error:
        expect(error.response["ResponseMetadata"]["HTTPStatusCode"] == 403, f"the revoked key got {error}")

    # A READ member of the workspace, made here.
    reader_email = f"reader-{uuid.uuid4().hex[:8]}@example.com"
    go("#/users", "Users")
    form = driver.find_element(By.ID, "create-user")
    fill(form, firstName="Rea", lastName="Der", email=reader_email, password=PASSWORD)
    form.submit()
    wait(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "main table"), reader_email), what="the new user in the list")
    check_page("users")
    go("#/workspaces", "Workspaces")
    driver.find_element(By.PARTIAL_LINK_TEXT, "(default)").click()
    form = visible("#add-member")
    Select(form.find_element(By.NAME, "userId")).select_by_visible_text(f"Rea Der <{reader_email}>")
    Select(form.find_element(By.NAME, "role")).select_by_value("READ")
    form.submit()
    wait(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "main table"), reader_email), what="the new member")
    check_page("workspace")
    go("#/overview", "Overview")
    expect(driver.find_element(By.ID, "repository-count").text == "1" and driver.find_element(By.ID, "key-count").text == "0", "overview counts")
    check_page("overview")
    # Another session of the owner (a second device), revoked from the sessions page.
    other = json.loads(http("POST", f"{BASE}/user/login", {"email": owner_email, "password": PASSWORD, "deviceInfo": {"userAgent": "second-device"}})[2])
    go("#/sessions", "Sessions")
    check_page("sessions")
    driver.find_element(By.CSS_SELECTOR, "button[aria-label='Revoke the session of second-device']").click()
    driver.switch_to.alert.accept()
    wait(lambda d: "second-device" not in d.find_element(By.TAG_NAME, "main").text, what="the revoked session to leave the list")
    expect(http("POST", f"{BASE}/user/refresh", {"refreshToken": other["refreshToken"]})[0] == 401, "the revoked session still refreshes")

    # Sign out: the session ends at the server too.
    refresh_token = driver.execute_script("return sessionStorage.getItem('cistern.refreshToken')")
    driver.find_element(By.ID, "sign-out").click()
    heading("Sign in to Cistern")
    expect(http("POST", f"{BASE}/user/refresh", {"refreshToken": refresh_token})[0] == 401, "the refresh token still works after signing out")
    expect(not driver.execute_script("return sessionStorage.getItem('cistern.refreshToken')"), "the refresh token stayed in the tab")

    # The READ member sees everything and is offered no write action.
    form = driver.find_element(By.CSS_SELECTOR, "main form")
    fill(form, email=reader_email, password=PASSWORD)
    form.submit()
    heading("Overview")
    nav = driver.find_element(By.TAG_NAME, "nav").text
    expect("Users" not in nav, f"a plain user is offered the users page: {nav}")
    go("#/buckets", "Buckets")
    expect(len(driver.find_elements(By.CSS_SELECTOR, "#bucket-results tbody tr")) == 2, "the reader does not see both buckets")
    expect(not driver.find_elements(By.LINK_TEXT, "Add bucket"), "the reader is offered Add bucket")
    check_page("reader-buckets")
    driver.find_element(By.LINK_TEXT, "first bucket").click()
    heading("first bucket")
    expect(not driver.find_elements(By.ID, "edit-bucket") and "Delete bucket" not in driver.page_source, "the reader is offered edit or delete")
    go("#/repositories", "Repositories")
    expect(not driver.find_elements(By.LINK_TEXT, "New repository"), "the reader is offered New repository")
    driver.find_element(By.LINK_TEXT, "Archive").click()
    heading("Archive")
    expect(not driver.find_elements(By.ID, "create-key") and not driver.find_elements(By.CSS_SELECTOR, "button.danger"), "the reader is offered key or delete actions")
    check_page("reader-repository")

    # A narrow window: nothing wider than the screen.
    driver.set_window_size(390, 844)
    go("#/buckets", "Buckets")
    overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    expect(overflow <= 0, f"the page is {overflow} px wider than a 390 px window")
    check_page("narrow-buckets")
    driver.find_element(By.ID, "sign-out").click()
    heading("Sign in to Cistern")
    print(f"console-e2e: {len(audited)} pages checked with axe and saved in {ARTIFACTS}: {', '.join(audited)}", file=sys.stderr)


def _is_up(port):
    import socket
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


try:
    main()
finally:
    if driver is not None:
        driver.quit()
    if server is not None:
        server.terminate()
        server.wait(timeout=30)
