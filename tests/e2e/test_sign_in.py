from tests.e2e.conftest import save_screenshot, serious_accessibility_violations, sign_in


def test_a_stranger_is_sent_to_sign_in_and_a_wrong_password_is_explained(page, live_server, acme):
    page.goto(f"{live_server.url}/")
    assert "/login/" in page.url
    sign_in(page, live_server, "alice@acme.test", "wrong")
    assert (
        page.get_by_role("alert").inner_text().startswith("Your e-mail and password did not match")
    )
    assert serious_accessibility_violations(page) == []
    save_screenshot(page, "sign-in")


def test_the_login_page_is_served_with_a_strict_content_security_policy(browser, live_server, acme):
    page = browser.new_page()  # no CSP bypass here
    response = page.goto(f"{live_server.url}/login/")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.reload()
    assert errors == []
