"""The password prompts of `cistern` on a real pseudo-terminal (pexpect): what is typed is not
echoed, a right password signs in, a wrong one exits 1 with the API's message, and no terminal
at all is a usage error that points at --password-stdin.

    python3 scripts/lib/cli_prompt.py URL     (with `cistern` on the PATH and XDG_CONFIG_HOME set)
"""
import json
import subprocess
import sys
import urllib.request

import pexpect

url = sys.argv[1]
password = "Prompted-Passw0rd!"
request = urllib.request.Request(
    url + "/user/register", method="POST", headers={"Content-Type": "application/json"},
    data=json.dumps({"email": "prompt@example.com", "password": password, "firstName": "P", "lastName": "T",
                     "companyName": "Prompt"}).encode())
urllib.request.urlopen(request).read()


def login(typed):
    child = pexpect.spawn("cistern", ["login", url, "--email", "prompt@example.com", "--profile", "prompted"],
                          encoding="utf-8", timeout=30)
    child.expect("Password: ")
    child.sendline(typed)
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus, child.before


status, output = login(password)
assert status == 0, f"login through the prompt exited {status}: {output}"
assert "Logged in to" in output and "profile prompted" in output, output
assert password not in output, "the password was echoed"

status, output = login("not-the-password")
assert status == 1, f"a wrong password exited {status}: {output}"
assert "cistern: " in output and "not-the-password" not in output, output

# The prompted login works for the next command.
listed = subprocess.run(["cistern", "workspace", "ls", "--profile", "prompted"], capture_output=True, text=True)
assert listed.returncode == 0 and "Default" in listed.stdout, listed

# No terminal and no --password-stdin: a usage error naming the way out.
headless = subprocess.run(["setsid", "cistern", "login", url, "--email", "prompt@example.com"], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
assert headless.returncode == 2 and "--password-stdin" in headless.stderr, headless
print("cli-walkthrough: the password prompt reads without echo (pexpect); wrong password exits 1; no terminal exits 2")
