"""A local news farm for the pipeline benchmark: N feeds × M items on H loopback hosts.

``build(root, feeds, items, hosts)`` writes the feeds and article pages to disk once (deterministic);
``python benchmarks/farm.py serve ROOT HOSTS [DELAY_MS]`` serves them, each host on its own loopback
address (127.0.0.2, 127.0.0.3, …: Rasad's per-host politeness cap sees H hosts), printing one
``host:port`` line per host when ready; with DELAY_MS, each answer comes that late (a remote site).
Every response has an ETag and answers ``If-None-Match`` with 304, as a news site behind a CDN does.

Pages look like real Arabic news pages (40–140 KB): a head with inline styles, scripts and JSON-LD,
a header with share links and a nested menu, the article (paragraphs made from the seed articles'
sentences for one item in ten, from everyday news sentences for the others), related-news, "most
read" and "latest" cards, ad slots and a footer of link columns. Their markup is as dense as real
pages': trafilatura takes about as long on them as on real Arabic article pages (README). The
server is asyncio with keep-alive, so that it costs little beside the clients measured.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import re
import sys
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"

# everyday news, none about the coalition (written for this benchmark)
OTHER = [
    "أعلنت وزارة التربية عن موعد بدء العام الدراسي الجديد في المدارس الحكومية والأهلية",
    "ارتفعت أسعار الذهب في الأسواق المحلية مع تراجع سعر صرف الدينار أمام الدولار",
    "افتتح محافظ البصرة مشروعاً لتأهيل شبكة المياه في عدد من الأحياء السكنية",
    "توقعت هيئة الأنواء الجوية ارتفاع درجات الحرارة خلال الأيام المقبلة في المناطق الوسطى والجنوبية",
    "فاز المنتخب الوطني لكرة القدم على نظيره في مباراة ودية أقيمت على ملعب المدينة",
    "ناقش مجلس المحافظة خطة الخدمات للعام المقبل بحضور عدد من المدراء العامين",
    "أطلقت وزارة الصحة حملة تلقيح واسعة ضد شلل الأطفال في المحافظات كافة",
    "أكد وزير النفط أن الصادرات بلغت مستويات مرتفعة خلال الشهر الماضي",
    "شهدت العاصمة معرضاً للكتاب شاركت فيه دور نشر عربية وأجنبية",
    "أعلنت شركة الاتصالات عن توسيع خدمات الإنترنت لتشمل القرى النائية",
    "قال مسؤول في وزارة الزراعة إن موسم الحصاد يسير بوتيرة جيدة رغم شح المياه",
    "عقدت نقابة المعلمين مؤتمرها السنوي لمناقشة أوضاع الكوادر التربوية",
    "باشرت البلدية بأعمال تعبيد الطرق الرئيسة في مركز المدينة",
    "أعلن البنك المركزي عن إجراءات جديدة لتنظيم عمل شركات الصرافة",
    "استقبل المستشفى التعليمي أجهزة طبية حديثة ضمن خطة تطوير القطاع الصحي",
    "أقامت الجامعة ندوة علمية حول التغير المناخي وأثره على الزراعة",
    "دعت منظمات المجتمع المدني إلى حماية التراث العمراني في المدن القديمة",
    "سجلت حركة المسافرين عبر المطار ارتفاعاً ملحوظاً خلال موسم العطلات",
    "أكدت وزارة الكهرباء أن ساعات التجهيز ستتحسن مع دخول محطات جديدة إلى الخدمة",
    "نظمت دائرة السياحة رحلات إلى المواقع الأثرية في الجنوب",
]


def _seed_sentences() -> list[str]:
    out: list[str] = []
    for path in sorted(SEEDS.glob("*.txt")):
        for part in re.split(r"(?<=[.!؟])\s+|\n+", path.read_text(encoding="utf-8")):
            if len(part.split()) >= 8:
                out.append(part.strip())
    return out


def _chrome(rng: random.Random, host: int) -> tuple[str, str, str]:
    """Head assets, navigation and footer: the bulk of a real page that is not the article."""
    style = "\n".join(
        f".c{i}{{margin:{i % 7}px;padding:{i % 5}px;"
        f"color:#{rng.randrange(16**6):06x};font-size:{12 + i % 6}px}}"
        for i in range(rng.randrange(100, 300))
    )
    script = "\n".join(
        f"window.__d{i}=function(a,b){{return (a*{i}+b)%{i + 7}}};" for i in range(rng.randrange(60, 200))
    )
    # a mega-menu: sections with their sub-sections, as news sites nest them
    nav = "".join(
        f'<li class="menu-item has-sub" data-id="{i}"><a class="menu-link" href="/section/{i}">قسم {i}</a>'
        f'<ul class="sub-menu">'
        + "".join(
            f'<li class="menu-item"><a class="menu-link" href="/section/{i}/{j}">'
            f"<span>فرع {j}</span></a></li>"
            for j in range(6)
        )
        + "</ul></li>"
        for i in range(16)
    )
    share = "".join(
        f'<a class="share share-{n}" href="https://{n}.example/share" rel="nofollow"><i class="icon-{n}"></i>'
        f"<span>{n}</span></a>"
        for n in ("facebook", "twitter", "whatsapp", "telegram", "email")
    )
    footer = "".join(
        f'<div class="footer-col"><h4>{rng.choice(OTHER)[:20]}</h4><ul>'
        + "".join(f'<li><a href="/page/{c}-{k}">صفحة {k}</a></li>' for k in range(12))
        + "</ul></div>"
        for c in range(6)
    )
    head = f"<style>{style}</style><script>{script}</script>"
    top = (
        f'<header class="site-header"><div class="top-bar"><span class="today">{host}</span>{share}</div>'
        f'<div class="logo"><a href="/"><img src="/logo.png" alt="موقع {host}"></a></div>'
        f'<nav class="menu"><ul class="main-menu">{nav}</ul></nav></header>'
        '<div class="ad-slot" data-slot="top" data-size="728x90"><div id="ad-top"></div></div>'
    )
    return head, top, f'<footer class="site-footer"><p>موقع {host}</p>{footer}</footer>'


def _cards(rng: random.Random, count: int, kind: str) -> str:
    """Teaser cards (related news, most read): a picture, a headline, a date and an excerpt each."""
    return "".join(
        f'<div class="card card-{kind}"><a class="card-link" href="/news/{rng.randrange(10**6)}">'
        f'<div class="card-img"><img src="/img/{rng.randrange(10**6)}.jpg" alt="" loading="lazy"></div>'
        f'<div class="card-body"><h3 class="card-title">{rng.choice(OTHER)}</h3>'
        f'<span class="card-date">منذ {rng.randrange(1, 59)} دقيقة</span>'
        f'<p class="card-excerpt">{rng.choice(OTHER)}</p></div></a></div>'
        for _ in range(count)
    )


def _page(rng: random.Random, title: str, paragraphs: list[str], when: datetime, host: int) -> str:
    head, top, footer = _chrome(rng, host)
    ld = json.dumps(
        {"@type": "NewsArticle", "headline": title, "datePublished": when.isoformat()}, ensure_ascii=False
    )
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    tags = "".join(f'<a class="tag" href="/tag/{i}">وسم {i}</a>' for i in range(rng.randrange(3, 8)))
    return (
        '<!DOCTYPE html><html lang="ar" dir="rtl"><head><meta charset="utf-8">'
        f"<title>{title} | موقع {host}</title>"
        f'<meta property="og:title" content="{title}">'
        f'<meta property="article:published_time" content="{when.isoformat()}">{head}'
        f'<script type="application/ld+json">{ld}</script></head><body>{top}'
        '<div class="wrap"><div class="breadcrumb"><a href="/">الرئيسية</a> › '
        '<a href="/section/1">أخبار</a></div>'
        f"<main><article><h1>{title}</h1>"
        f'<time datetime="{when.isoformat()}">{when:%Y-%m-%d}</time>'
        f'<div class="content">{body}</div><div class="tags">{tags}</div></article>'
        f'<section class="related"><h2>أخبار ذات صلة</h2>{_cards(rng, 8, "related")}</section></main>'
        f"<aside><h3>الأكثر قراءة</h3>{_cards(rng, 15, 'most-read')}"
        '<div class="ad-slot" data-slot="side" data-size="300x250"><div id="ad-side"></div></div>'
        f"<h3>آخر الأخبار</h3>{_cards(rng, 10, 'latest')}</aside></div>{footer}</body></html>"
    )


def build(root: Path, feeds: int, items: int, hosts: int, *, seed: int = 1) -> int:
    """Write the farm under ``root`` (``h<host>/feed<n>.xml``, ``h<host>/a/<n>-<i>.html``); returns the
    number of items about the coalition (those the rules should match)."""
    rng = random.Random(seed)
    topic = _seed_sentences()
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    about = 0
    for n in range(feeds):
        host = n % hosts
        folder = root / f"h{host}"
        (folder / "a").mkdir(parents=True, exist_ok=True)
        entries = []
        for i in range(items):
            on_topic = rng.random() < 0.1
            about += on_topic
            pool = topic if on_topic else OTHER
            paragraphs = [
                " ".join(rng.choice(pool) for _ in range(rng.randrange(2, 4))) + "."
                for _ in range(rng.randrange(6, 18))
            ]
            title = rng.choice(pool).split("،")[0][:90]
            when = now - timedelta(minutes=37 * i + n)
            page = _page(rng, title, paragraphs, when, host)
            (folder / "a" / f"{n}-{i}.html").write_text(page, encoding="utf-8")
            entries.append(
                f"<item><title>{title}</title><link>http://{{HOST}}/a/{n}-{i}.html</link>"
                f"<guid>bench-{n}-{i}</guid><pubDate>{format_datetime(when)}</pubDate>"
                f"<description>{paragraphs[0][:200]}</description></item>"
            )
        (folder / f"feed{n}.xml").write_text(
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>موقع {n}</title><link>http://{{HOST}}/</link>{''.join(entries)}</channel></rss>",
            encoding="utf-8",
        )
    return about


async def _serve(root: Path, hosts: int, delay: float = 0.0) -> None:
    cache: dict[tuple[int, str], tuple[bytes, str]] = {}

    def load(host: int, path: str, addr: str) -> tuple[bytes, str] | None:
        key = (host, path)
        if key not in cache or path.endswith(".xml"):
            file = root / f"h{host}" / path.lstrip("/")
            if ".." in path or not file.is_file():
                return None
            data = file.read_bytes().replace(b"{HOST}", addr.encode())
            found = (data, '"' + hashlib.blake2b(data, digest_size=8).hexdigest() + '"')
            if path.endswith(".xml"):
                cache[key] = found
            return found
        return cache[key]

    def handler(host: int, addr: str):  # type: ignore[no-untyped-def]
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while True:
                    head = await reader.readuntil(b"\r\n\r\n")
                    lines = head.decode("latin-1").split("\r\n")
                    path = lines[0].split(" ")[1]
                    headers = {k.lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:] if x)}
                    found = load(host, path, addr)
                    if delay:
                        await asyncio.sleep(delay)  # a remote site's round trip and think time
                    if found is None:
                        writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                    elif headers.get("if-none-match") == found[1]:
                        writer.write(f"HTTP/1.1 304 Not Modified\r\nETag: {found[1]}\r\n\r\n".encode())
                    else:
                        kind = "application/rss+xml" if path.endswith(".xml") else "text/html; charset=utf-8"
                        writer.write(
                            f"HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {len(found[0])}\r\n"
                            f"ETag: {found[1]}\r\n\r\n".encode()
                            + found[0]
                        )
                    await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError, IndexError):
                pass
            finally:
                writer.close()

        return handle

    servers = []
    for host in range(hosts):
        ip = f"127.0.0.{host + 2}"
        server = await asyncio.start_server(lambda r, w: None, ip, 0)  # find a free port
        port = server.sockets[0].getsockname()[1]
        server.close()
        server = await asyncio.start_server(handler(host, f"{ip}:{port}"), ip, port, backlog=512)
        servers.append(server)
        print(f"{ip}:{port}", flush=True)
    print("ready", flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))


if __name__ == "__main__":
    if len(sys.argv) in (4, 5) and sys.argv[1] == "serve":
        delay = float(sys.argv[4]) / 1000 if len(sys.argv) == 5 else 0.0
        asyncio.run(_serve(Path(sys.argv[2]), int(sys.argv[3]), delay))
    else:
        sys.exit("usage: farm.py serve ROOT HOSTS [DELAY_MS]")
