"""Upload pages: a GBK police list imports with names intact; a wrong type, a wrong header or an oversized file
gets a Chinese message on the page (never JSON or a codec error); the templates match what the importer takes."""

from __future__ import annotations

import io


def _police_csv(encoding: str) -> bytes:
    from fanzha.ids import check_char

    first17 = "42120219800101002"
    return ("id_no,name,case_no,decided_on,ban_years,keep_msisdn\n"
            f"{first17}{check_char(first17)},刘一,咸公(刑)2026-009,2026-01-05,5,\n").encode(encoding)  # fmt: skip


def test_blacklist_page_imports_gbk_and_explains_bad_files(client, make_user, login, csrf_from, web_app):
    make_user("jing", roles=["police_liaison"])
    login(client, "jing", "correct-horse-battery")
    page = client.get("/blacklist")
    assert "GBK/GB18030" in page.text and "/blacklist/import/template.xlsx" in page.text
    csrf = csrf_from(page.text)
    ok = client.post("/blacklist/import", data={"csrf_token": csrf},
                     files={"file": ("名单.csv", _police_csv("gbk"), "text/csv")})  # fmt: skip
    assert ok.status_code == 200 and "导入 1 行：新增 1" in ok.text and "刘*" in ok.text
    again = client.post("/blacklist/import", data={"csrf_token": csrf},
                        files={"file": ("名单.csv", _police_csv("utf-8-sig"), "text/csv")})  # fmt: skip
    assert "已存在 1" in again.text  # the same person and case: BOM-UTF-8 read the same as GBK

    wrong_type = client.post("/blacklist/import", data={"csrf_token": csrf},
                             files={"file": ("名单.docx", b"PK\x03\x04x", "application/octet-stream")})  # fmt: skip
    assert wrong_type.status_code == 422 and "不支持的文件类型“.docx”" in wrong_type.text and "<form" in wrong_type.text
    header = client.post("/blacklist/import", data={"csrf_token": csrf},
                         files={"file": ("名单.csv", "证件号码,姓名\n1,2\n".encode("gbk"), "text/csv")})  # fmt: skip
    assert header.status_code == 422 and "表头缺少必填列：id_no（证件号码）" in header.text
    assert "无法识别的列：证件号码、姓名" in header.text

    web_app.state.settings.max_upload_bytes = 1000  # within the framing margin: the page answers
    big = client.post("/blacklist/import", data={"csrf_token": csrf},
                      files={"file": ("名单.csv", b"a" * 5000, "text/csv")})  # fmt: skip
    assert big.status_code == 422 and "文件超过上传大小上限 1 KB" in big.text and "手工录入" in big.text


def test_oversized_body_gets_a_chinese_page_not_json(web_settings, make_user):
    from fastapi.testclient import TestClient

    from fanzha.web.app import create_app

    web_settings.max_upload_bytes = 1000
    app = create_app(web_settings)
    with TestClient(app, follow_redirects=False) as c:
        r = c.post("/reports/import", files={"file": ("r.csv", b"a" * 400_000, "text/csv")},
                   headers={"referer": "http://testserver/reports?status=all"})  # fmt: skip
        assert r.status_code == 413 and r.headers["content-type"].startswith("text/html")
        assert "上传的文件超过大小上限 1 KB" in r.text and 'href="/reports?status=all"' in r.text
        api = c.post("/api/reports", content=b"x" * 2_000_000, headers={"content-type": "application/json"})
        assert api.status_code == 413 and "request body too large" in api.json()["detail"]


def test_templates_match_the_importers(client, make_user, login):
    from openpyxl import load_workbook

    from fanzha.casework.blacklist.service import CONTRACT_COLUMNS
    from fanzha.casework.market.service import COLUMNS as TIP_COLUMNS
    from fanzha.casework.reports.service import COLUMNS as REPORT_COLUMNS

    make_user("boss", roles=["supervisor", "police_liaison", "market_regulator"])
    login(client, "boss", "correct-horse-battery")
    for base, columns in (("/reports/import/template", REPORT_COLUMNS), ("/market/tips/import/template", TIP_COLUMNS),
                          ("/blacklist/import/template", CONTRACT_COLUMNS)):  # fmt: skip
        text = client.get(base + ".csv")
        assert text.status_code == 200 and "attachment" in text.headers["content-disposition"]
        assert text.content.startswith(b"\xef\xbb\xbf") and text.content[3:].decode().splitlines()[0].split(",") == list(columns)
        book = load_workbook(io.BytesIO(client.get(base + ".xlsx").content))
        assert [c.value for c in book.worksheets[0][1]] == list(columns) and book.worksheets[1].title == "填写说明"
    assert client.get("/reports/import/template.exe").status_code == 422
