"""The anti-fraud notice (反诈承诺书) as a PDF with the customer's signature (WeasyPrint, Noto CJK embedded).

The text is real text in the PDF (selectable, searchable), set in Noto Sans CJK SC, which WeasyPrint
subsets and embeds; the signature is the PNG drawn on the counter tablet.
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone
from html import escape
from pathlib import Path

CST = timezone(timedelta(hours=8))
FONT_CANDIDATES = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
)

NOTICE_TEXT = (
    "本人已知悉《中华人民共和国反电信网络诈骗法》相关规定，郑重承诺：",
    "一、本人办理的电话卡仅限本人使用，不出租、出借、出售，不转交他人使用；",
    "二、不利用所办电话卡从事电信网络诈骗等违法犯罪活动，不为他人实施诈骗提供帮助；",
    "三、已知悉非法买卖、出租、出借电话卡将被依法追究法律责任，并可能被列入惩戒名单，五年内不得新办电话卡；",
    "四、如发现所办号码被他人冒用或用于诈骗，立即向运营商和公安机关报告；",
    "五、同意运营商依法对异常号码采取核验、限制等措施，对处置有异议可依法申诉。",
)


def font_face() -> str:
    for path in FONT_CANDIDATES:
        if path.exists():
            return f"@font-face {{ font-family: 'FanzhaCJK'; src: url('{path.as_uri()}'); }}"
    return ""  # fontconfig fallback: scripts/system-packages.sh installs fonts-noto-cjk


def _cst(at: datetime | None) -> str:
    if at is None:
        return ""
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S")


def render_html(*, name: str, id_no: str, check, steps: list[tuple[str, datetime]], signature_png: bytes,
                signed_at: datetime) -> str:  # fmt: skip
    sig = base64.b64encode(signature_png).decode()
    paras = "".join(f"<p>{escape(t)}</p>" for t in NOTICE_TEXT)
    step_rows = "".join(f"<tr><td>{escape(label)}</td><td>{_cst(at)}</td></tr>" for label, at in steps)
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><style>
{font_face()}
@page {{ size: A4; margin: 20mm; }}
body {{ font-family: 'FanzhaCJK', 'Noto Sans CJK SC', sans-serif; font-size: 11pt; line-height: 1.6; }}
h1 {{ text-align: center; font-size: 18pt; letter-spacing: 4pt; }}
table {{ border-collapse: collapse; width: 100%; margin: 6pt 0; }}
td {{ border: 0.5pt solid #888; padding: 3pt 6pt; }}
.sig img {{ height: 30mm; border-bottom: 0.5pt solid #000; }}
.meta {{ color: #444; font-size: 9pt; }}
</style></head><body>
<h1>防范电信网络诈骗承诺书</h1>
<table>
<tr><td>客户姓名</td><td>{escape(name)}</td><td>证件号码</td><td>{escape(id_no)}</td></tr>
<tr><td>办理营业厅</td><td>{escape(check.shop_id or "")}</td><td>经办营业员</td><td>{escape(check.clerk)}</td></tr>
<tr><td>开户核验单号</td><td>{check.id}</td><td>办理业务</td><td>{escape(check.requested)}</td></tr>
</table>
{paras}
<h2 style="font-size:12pt">营业员核验记录</h2>
<table>{step_rows}</table>
<div class="sig"><p>承诺人签名：</p><img src="data:image/png;base64,{sig}" alt="签名"></div>
<p>签署时间：{_cst(signed_at)}（北京时间）</p>
<p class="meta">本承诺书由 fanzha 反诈平台生成并存档，可凭核验单号调阅。</p>
</body></html>"""


def render_pdf(**kwargs) -> bytes:
    from weasyprint import HTML

    return HTML(string=render_html(**kwargs)).write_pdf()
