"""The portal's search at scale: 100,000 posts and 100,000 knowledge-base articles seeded
into PostgreSQL (Russian and English text), then searches (p50/p99) through the portal's
use cases — the SQL its gRPC handlers run — for an anonymous visitor and a staff member.

    .venv/bin/python bench/portal_search.py [--posts 100000] [--articles 100000] [--queries 200]

Text is drawn from two vocabularies with a Zipf-like skew (a few words in a third of
the rows, most in a few hundred), so "common" words hit tens of thousands of rows and
"rare" ones a few dozen. Search vectors are computed by PostgreSQL from the lower-cased
text, exactly as the store writes them. A benchmark, not a test: it prints figures.
"""

# ruff: noqa: E501
from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from helpdesk_devstack.servers import PostgresServer
from helpdesk_kit.db import Database
from helpdesk_kit.migrations import upgrade
from helpdesk_portal.app import MIGRATIONS
from helpdesk_portal.domain.posts import STATUS_RANK, STATUSES
from helpdesk_portal.domain.settings import PortalSettings
from helpdesk_portal.domain.viewer import ANONYMOUS, Viewer
from helpdesk_portal.store import settings_table
from helpdesk_portal.store.search import ARTICLE_VECTOR, POST_VECTOR
from helpdesk_portal.usecases import kb, posts

RU = (  # noqa: SIM905
    "принтер сеть почта пароль экран ноутбук сервер копия доступ телефон лицензия обновление "
    "диск клавиатура монитор камера звук кабель офис отчёт счёт договор клиент заявка ответ "
    "вопрос идея проблема спасибо скорость ошибка вход выход настройка программа браузер сайт "
    "портал новость статья база знаний подключение удалённый домашний рабочий место кухня "
    "кофемашина парковка пропуск отпуск бухгалтерия склад доставка заказ оплата возврат"
).split()
EN = (  # noqa: SIM905
    "printer network vpn mail password screen laptop server backup invoice account phone license "
    "update disk keyboard monitor camera sound cable office report contract client ticket answer "
    "question idea problem thanks speed error login logout setting program browser site portal "
    "news article knowledge connection remote home desk kitchen coffee parking badge holiday "
    "accounting warehouse delivery order payment refund"
).split()
KINDS = list(STATUSES)


# Zipf (s = 1) over each vocabulary: the first word is ~20 % of all words, the last ~0.4 %.
CUM = {id(v): list(itertools.accumulate(1 / (i + 1) for i in range(len(v)))) for v in (RU, EN)}
RARE = 5000  # "model17", "модель17": each in a few dozen rows at 100,000 rows
INFLECTED = [
    "принтеры",
    "сети",
    "почты",
    "пароли",
    "серверы",
    "ноутбуки",
    "заявки",
    "ошибки",
    "клиентов",
    "отчёты",
]


def words(rnd: random.Random, vocab: list[str], n: int) -> str:
    common = rnd.choices(vocab, cum_weights=CUM[id(vocab)], k=n)
    rare = "модель" if vocab is RU else "model"
    return " ".join(f"{rare}{rnd.randrange(RARE)}" if rnd.random() < 0.02 else w for w in common)


def text(rnd: random.Random, n: int) -> str:
    return words(rnd, RU if rnd.random() < 0.6 else EN, n)


def rare_word(rnd: random.Random) -> str:
    return f"{rnd.choice(['модель', 'model'])}{rnd.randrange(RARE)}"


async def seed_posts(db: Database, count: int) -> None:
    rnd = random.Random(7)
    async with db.pool.acquire() as conn:
        await conn.execute(
            "CREATE TEMP TABLE stage (kind text, status text, rank int, title text, body text, author bigint, likes int, dislikes int, hidden bool)"
        )
        for start in range(0, count, 20_000):
            rows = []
            for _ in range(min(20_000, count - start)):
                kind = rnd.choice(KINDS)
                status = rnd.choice(STATUSES[kind])
                rows.append(
                    (
                        kind,
                        status,
                        STATUS_RANK[status],
                        text(rnd, rnd.randint(3, 9)).capitalize(),
                        text(rnd, rnd.randint(15, 80)),
                        rnd.randint(1, 5000),
                        int(rnd.paretovariate(1.5)) - 1,
                        int(rnd.paretovariate(2.5)) - 1,
                        rnd.random() < 0.02,
                    )
                )
            await conn.copy_records_to_table("stage", records=rows)
            vector = POST_VECTOR.format(t="lower(title)", b="lower(body)", a="''")
            await conn.execute(
                "INSERT INTO posts (kind, status, status_rank, title, body, html, author_id, likes, dislikes, is_hidden, search)"
                f" SELECT kind, status, rank, title, body, '<p>' || body || '</p>', author, likes, dislikes, hidden, {vector} FROM stage"
            )
            await conn.execute("TRUNCATE stage")
    await db.pool.execute("ANALYZE posts")


async def seed_articles(db: Database, count: int) -> None:
    rnd = random.Random(11)
    async with db.pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO categories (name) SELECT 'Category ' || g FROM generate_series(1, 200) g"
        )
        await conn.execute(
            "CREATE TEMP TABLE astage (cat bigint, title text, body text, vis text, units bigint[], author bigint)"
        )
        for start in range(0, count, 20_000):
            rows = []
            for _ in range(min(20_000, count - start)):
                vis = rnd.choices(["public", "clients", "staff"], [6, 2, 2])[0]
                units = [rnd.randint(1, 50)] if vis == "staff" and rnd.random() < 0.7 else []
                rows.append(
                    (
                        rnd.randint(1, 200),
                        text(rnd, rnd.randint(2, 7)).capitalize(),
                        text(rnd, rnd.randint(60, 250)),
                        vis,
                        units,
                        rnd.randint(1, 300),
                    )
                )
            await conn.copy_records_to_table("astage", records=rows)
            vector = ARTICLE_VECTOR.format(t="lower(title)", b="lower(body)")
            await conn.execute(
                "INSERT INTO articles (category_id, title, body, html, visibility, unit_ids, author_id, search)"
                f" SELECT cat, title, body, '<p>' || body || '</p>', vis, units, author, {vector} FROM astage"
            )
            await conn.execute("TRUNCATE astage")
    await db.pool.execute("ANALYZE articles")


async def timed(call: Callable[[], Awaitable[Any]], n: int) -> tuple[float, float, int]:
    times: list[float] = []
    found = 0
    for _ in range(n):
        t0 = time.perf_counter()
        got = await call()
        times.append(time.perf_counter() - t0)
        found = len(getattr(got, "posts", None) or getattr(got, "articles", None) or [])
    times.sort()
    return statistics.median(times) * 1000, times[max(int(len(times) * 0.99) - 1, 0)] * 1000, found


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        pg = PostgresServer(Path(tmp) / "pg", durable=False)
        pg.start()
        try:
            url = pg.create_database("bench")
            await upgrade(database_url=url, schema="portal", script_location=MIGRATIONS)
            async with Database(url, schema="portal", pool_size=2) as db:
                async with db.unit_of_work() as uow:
                    await settings_table.save(uow.conn, PortalSettings(enabled=True))
                    await uow.commit()
                t0 = time.perf_counter()
                await seed_posts(db, args.posts)
                t1 = time.perf_counter()
                await seed_articles(db, args.articles)
                print(
                    f"seeded {args.posts} posts in {t1 - t0:.1f} s, {args.articles} articles in {time.perf_counter() - t1:.1f} s"
                )
                staff = Viewer(user_id=9, kind="staff", role="unit_member", unit_ids=(3, 7))
                rnd = random.Random(3)
                common_ru, common_en = RU[:3], EN[:3]
                cases: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
                    (
                        "posts: common Russian word (new)",
                        lambda: posts.list_posts(db=db, viewer=ANONYMOUS, q=rnd.choice(common_ru)),
                    ),
                    (
                        "posts: common English word (new)",
                        lambda: posts.list_posts(db=db, viewer=ANONYMOUS, q=rnd.choice(common_en)),
                    ),
                    (
                        "posts: rare word (new)",
                        lambda: posts.list_posts(db=db, viewer=ANONYMOUS, q=rare_word(rnd)),
                    ),
                    (
                        "posts: two words, Russian stems",
                        lambda: posts.list_posts(
                            db=db, viewer=ANONYMOUS, q=" ".join(rnd.sample(INFLECTED, 2))
                        ),
                    ),
                    (
                        "posts: common word, most liked",
                        lambda: posts.list_posts(
                            db=db, viewer=ANONYMOUS, q=rnd.choice(common_ru + common_en), sort="popular"
                        ),
                    ),
                    (
                        "posts: rare word, by status, staff",
                        lambda: posts.list_posts(db=db, viewer=staff, q=rare_word(rnd), sort="status"),
                    ),
                    (
                        "posts: common word + kind filter",
                        lambda: posts.list_posts(
                            db=db, viewer=ANONYMOUS, q=rnd.choice(common_en), kind="idea"
                        ),
                    ),
                    (
                        "posts: no match",
                        lambda: posts.list_posts(db=db, viewer=ANONYMOUS, q=f"zzq{rnd.randint(1, 999)}"),
                    ),
                    (
                        "articles: common word, anonymous",
                        lambda: kb.list_articles(
                            db=db, viewer=ANONYMOUS, q=rnd.choice(common_ru + common_en)
                        ),
                    ),
                    (
                        "articles: common word, staff",
                        lambda: kb.list_articles(db=db, viewer=staff, q=rnd.choice(common_ru + common_en)),
                    ),
                    (
                        "articles: rare word, staff",
                        lambda: kb.list_articles(db=db, viewer=staff, q=rare_word(rnd)),
                    ),
                    (
                        "articles: no match",
                        lambda: kb.list_articles(db=db, viewer=ANONYMOUS, q=f"zzq{rnd.randint(1, 999)}"),
                    ),
                    ("posts: first page, no search", lambda: posts.list_posts(db=db, viewer=ANONYMOUS)),
                ]
                print(f"{'query':44s} {'p50':>9s} {'p99':>9s} {'rows':>5s}")
                for name, call in cases:
                    await timed(call, 5)  # warm the plan and the cache
                    p50, p99, found = await timed(call, args.queries)
                    print(f"{name:44s} {p50:7.1f} ms {p99:7.1f} ms {found:5d}")
                sample = "SELECT id FROM posts p WHERE NOT p.is_hidden AND p.search @@ websearch_to_tsquery('russian', 'принтер') ORDER BY p.id DESC LIMIT 51"
                plan = await db.pool.fetch("EXPLAIN " + sample)
                print("plan (common word, newest first):", " / ".join(r[0].strip() for r in plan[:4]))
        finally:
            pg.destroy()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
