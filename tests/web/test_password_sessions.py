"""A user changes their own password; a password change or an administrator's reset signs out
every other session of that user at once."""
from __future__ import annotations

from web_support import PASSWORD

NEW = "a brand new password"


def test_changing_ones_password_keeps_this_session_and_ends_the_others(browser, wf, org):
    laptop, phone = browser("staff"), browser("staff")
    r = laptop.post("/account/password", {"current_password": PASSWORD, "new_password": NEW}, page="/account")
    assert r.status_code in (302, 303)
    assert laptop.get("/").status_code == 200                      # this session goes on
    assert phone.get("/").status_code in (302, 303)                # the other one is signed out
    fresh = browser()
    assert fresh.login("staff", NEW).status_code == 302
    assert browser().login("staff", PASSWORD).status_code != 302   # the old password no longer works
    kinds = [e["kind"] for e in wf.queries.search_events(org.admin, username="staff").items]
    assert "password_changed" in kinds


def test_a_wrong_current_password_changes_nothing(browser):
    c = browser("staff")
    r = c.post("/account/password", {"current_password": "not it at all", "new_password": NEW}, page="/account")
    assert r.status_code == 422 and "is-invalid" in c.page
    assert browser().login("staff", PASSWORD).status_code == 302   # the old password still works


def test_an_administrators_reset_signs_the_user_out_at_once(browser, wf, org):
    c = browser("staff")
    assert c.get("/").status_code == 200
    wf.people.update_user(org.admin, org.staff, password="reset by the admin")
    assert c.get("/").status_code in (302, 303)
