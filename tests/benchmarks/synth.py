"""A realistic, reproducible library for the search benchmark: arXiv-like titles, 1-12 authors
(some accented, some written in LaTeX), ~150-word abstracts, tags, some notes, feed entries.

Each paper has one or two of 60 topics; a topic is 50 technical words (real ones and made-up
jargon). Titles are mostly topic words; abstracts mix function words, general science words
("propose", "results"), topic words and a long tail of rare words (model names, acronyms), each
tier Zipf-distributed. So, as in real abstracts, general words are in many papers, a technical
word in a few percent, and the vocabulary is large (over 100,000 distinct terms). The 267 real titles in ``real_titles.txt`` are
mixed in and are what the typo'd recall queries are made from.
"""

from __future__ import annotations

import itertools
import json
import random
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _words(text: str) -> list[str]:
    return text.split()


COMMON = """
learning neural network networks deep model models language large training data based efficient
transformer transformers attention graph image images vision representation representations
reinforcement policy generative diffusion adversarial robust robustness optimization stochastic
gradient descent convex nonconvex bayesian inference variational probabilistic causal
estimation analysis approach method methods framework system systems algorithm algorithms
multi scale scalable fast sparse dense low rank adaptive adaptation transfer domain
generalization zero shot few self supervised unsupervised semi contrastive pretraining
pre trained fine tuning instruction alignment reward human feedback preference safety
reasoning planning agents agent multimodal video audio speech text retrieval augmented
generation question answering summarization translation dialogue conversational benchmark
evaluation dataset datasets evaluating towards understanding improving rethinking revisiting
beyond via using toward through without learned learnable latent space embedding embeddings
token tokens sequence sequences temporal spatial spatio dynamic dynamics control continuous
discrete quantization compression pruning distillation knowledge efficient memory hardware
parallel distributed federated privacy differential secure attack attacks defense detection
segmentation classification regression clustering recognition tracking estimation pose depth
3d point cloud mesh rendering radiance field fields neural implicit surface reconstruction
medical clinical biomedical protein molecular drug discovery chemistry materials physics
quantum simulation equations partial differential operator operators kernel kernels
gaussian process processes mixture experts routing sparse scaling laws emergent abilities
in context prompt prompting chain thought tool use code program synthesis verification
theorem proving mathematical math solving problems problem tasks task hierarchical
recurrent convolutional convolution residual normalization batch layer layers activation
loss function functions objective regularization uncertainty calibration confidence
explainable interpretability interpretable explanation explanations fairness bias social
online offline bandit bandits exploration exploitation value function critic actor
world model simulation sim real robot robotic robots manipulation navigation locomotion
autonomous driving trajectory prediction forecasting time series anomaly outlier
recommendation recommender ranking search query queries web graph graphs node edge link
message passing equivariant invariant symmetry geometric manifold topological
energy based score matching flow flows normalizing autoregressive decoder encoder
vision language captioning grounding visual textual cross modal fusion alignment
long short context window length extrapolation positional encoding rotary linear
complexity theoretical bounds guarantees convergence rates sample efficient lower upper
"""

FUNCTION = _words("for of with in on and via a the to from by an at as is are under over")
ABSTRACT_FUNCTION = FUNCTION + _words("""that this we our which these it its be can has have been not
both than such while when where into more most also each other only these those however""")
GENERAL = _words("""propose proposed present introduce show shows demonstrate results result performance
method methods approach approaches model models data problem problems new novel existing prior
previous work works experiments experimental evaluate evaluation state art outperforms improves
improvement significant significantly achieve achieves task tasks setting settings paper study
analysis framework effective effectiveness efficient accuracy large small number several various
different general key challenge challenges challenging important recent recently compared baseline
baselines benchmark benchmarks real world simple strong wide range code available publicly show
use using used learn training trained test first two three high low better best""")

FIRST = _words("""
Ashish Noam Niki Jakob Llion Aidan Lukasz Illia Geoffrey Yann Yoshua Andrew Fei-Fei Kaiming
Ross Piotr Ilya Oriol Quoc Alex Tomas Jeff Sanjay Diederik Jimmy Sergey Pieter Chelsea Percy
Christopher Dan Emily Timnit Margaret Samy Hugo Laurens Ian David Demis Shane Koray Volodymyr
Jan Richard Michael Jordan Zoubin Bernhard Max Thomas Anna Maria Elena Sofia Chen Wei Li Yu
Xiaodong Jun Hao Lei Yang Ming Jie Hui Yan Jing Min Kun Tao Zhe Ravi Priya Arjun Anil Sunita
Kenji Yuki Haruto Sakura Hiroshi Minho Jisoo Seung Ahmed Fatima Omar Layla Youssef Carlos
Lucia Mateo Valentina Diego Camila Joao Ana Pedro Beatriz Pierre Camille Louis Chloe Julien
Hans Greta Lars Ingrid Sven Astrid Olga Ivan Dmitri Natalia Katarzyna Piotr Tomasz Agnieszka
""") + ["José", "Zoë", "Søren", "Łukasz", "François", "Jürgen", "Chloé", "Björn",
               "Mónica", "Agustín", "Radim", "Ðorđe", "Hélène", "Noémie", "Nuño"]

LAST = _words("""
Vaswani Shazeer Parmar Uszkoreit Jones Gomez Kaiser Polosukhin Hinton LeCun Bengio Ng Li He
Girshick Dollar Sutskever Vinyals Le Mikolov Dean Ghemawat Kingma Ba Levine Abbeel Finn Liang
Manning Jurafsky Bender Gebru Mitchell Bengio Larochelle Maaten Goodfellow Silver Hassabis Legg
Kavukcuoglu Mnih Leike Sutton Jordan Ghahramani Scholkopf Welling Wang Zhang Liu Chen Yang
Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo Lin Luo Gao Zheng Xie Kumar Sharma Singh Gupta Patel
Tanaka Suzuki Sato Watanabe Kim Park Lee Choi Nguyen Tran Pham Hassan Ali Garcia Rodriguez
Martinez Lopez Gonzalez Perez Silva Santos Costa Martin Bernard Dubois Durand Petit Schmidt
Schneider Fischer Weber Meyer Wagner Becker Hoffmann Andersson Johansson Karlsson Nilsson
Ivanov Smirnov Kuznetsov Popov Nowak Kowalski Wisniewski Smith Johnson Williams Brown Davis
Miller Wilson Moore Taylor Anderson Thomas Jackson White Harris Clark Lewis Robinson Walker
""") + ["Müller", "Boström", "Schölkopf", "Nguyễn", "Søgaard", "Gödel", "Erdős",
               "Pérez", "Muñoz", "Jégou", "Hervé", "Dvořák", "Łojasiewicz", "Çelik",
               "Bostr{\\\"o}m", "M{\\\"u}ller", "Sch{\\\"o}lkopf", "J{\\'e}gou"]

TAGS = _words("""llm rlhf diffusion vision nlp to-read to-cite thesis survey rl theory robotics
graphs speech audio multimodal efficiency quantization agents reasoning code math safety
alignment interpretability privacy federated benchmark dataset retrieval rag optimization
bayesian causality medical biology chemistry physics quantum systems databases compilers
security fairness evaluation pretraining finetuning distillation moe long-context
""")

SYLLABLES = _words("ka ro mi tu ne sa lo vi de xa qu ze pri tra mon gel bor fin lex tor cla syn dra "
             "vor hel nim pax rud sol tem ul yen wat zor bri cen dul fer gim hox jur kel lum "
             "nor pel ris sta tul vex wix yor zan")

SOURCES = ("hf", "arxiv", "bibtex", "manual")
STATUSES = ("inbox", "queued", "reading", "read", "dismissed")


def _zipf_cum(n: int, s: float) -> list[float]:
    """Cumulative Zipf weights (``random.choices(cum_weights=...)`` is O(log n) with them)."""
    return list(itertools.accumulate(1.0 / (i + 1) ** s for i in range(n)))


@dataclass
class SynthPaper:
    id: int
    key: str
    title: str
    authors: list[str]
    abstract: str
    year: int
    published: date
    arxiv_id: str | None
    doi: str | None
    source: str
    status: str
    starred: bool
    tags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    real: bool = False


class Corpus:
    """Deterministic paper generator (``seed`` fixes everything)."""

    def __init__(self, seed: int = 20240616) -> None:
        self.rng = random.Random(seed)
        rng = self.rng
        self.common = sorted(set(COMMON.split()))
        # Technical words: the real ones above plus made-up jargon, grouped in topics; a paper
        # has one or two topics, so each technical word is in a few percent of papers.
        tech: set[str] = set(self.common)
        while len(tech) < 2000:
            tech.add("".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 3, 3)))))
        pool = sorted(tech)
        self.topics = [rng.sample(pool, 50) for _ in range(60)]
        self.topic_w = _zipf_cum(50, 0.8)
        self.general = sorted(set(GENERAL))
        self.general_w = _zipf_cum(len(self.general), 0.7)
        # The long tail: jargon, model names, acronyms, rarely repeated.
        rare: set[str] = set()
        while len(rare) < 90_000:
            word = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 3, 3, 4))))
            rare.add(word)
        self.rare = sorted(rare)
        rng.shuffle(self.rare)
        self.rare_w = _zipf_cum(len(self.rare), 0.8)
        surnames = set(LAST)
        while len(surnames) < 40_000:
            name = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 3, 3))))
            surnames.add(name.capitalize())
        self.last = list(LAST) + sorted(surnames - set(LAST))
        self.last_w = _zipf_cum(len(self.last), 0.7)
        self.real_titles = [t.strip() for t in (HERE / "real_titles.txt").read_text().splitlines()
                            if t.strip()]

    def _words(self, n: int, topics: list[int], shares: tuple[float, float, float]) -> list[str]:
        """``n`` words: topic words, general words, rare words and function words in the given
        shares (the rest are function words)."""
        rng = self.rng
        out: list[str] = []
        topic_share, general_share, rare_share = shares
        for _ in range(n):
            r = rng.random()
            if r < topic_share:
                out.append(rng.choices(self.topics[rng.choice(topics)], cum_weights=self.topic_w)[0])
            elif r < topic_share + general_share:
                out.append(rng.choices(self.general, cum_weights=self.general_w)[0])
            elif r < topic_share + general_share + rare_share:
                out.append(rng.choices(self.rare, cum_weights=self.rare_w)[0])
            else:
                out.append(rng.choice(ABSTRACT_FUNCTION))
        return out

    def title(self, topics: list[int]) -> str:
        rng = self.rng
        words = self._words(rng.randint(4, 11), topics, (0.72, 0.1, 0.18))
        for _ in range(rng.randint(0, 3)):
            words.insert(rng.randrange(1, len(words)), rng.choice(FUNCTION))
        text = " ".join(w.capitalize() if rng.random() < 0.7 else w for w in words)
        if rng.random() < 0.25:
            acronym = rng.choice(self.rare)[: rng.randint(3, 6)].upper()
            text = f"{acronym}: {text}"
        return text

    def authors(self) -> list[str]:
        rng = self.rng
        n = min(12, max(1, int(rng.lognormvariate(1.3, 0.6))))
        lasts = rng.choices(self.last, cum_weights=self.last_w, k=n)
        return [f"{rng.choice(FIRST)} {last}" for last in lasts]

    def abstract(self, title: str, topics: list[int]) -> str:
        rng = self.rng
        sentences = []
        total = 0
        target = rng.randint(110, 200)
        title_words = [w.strip(":,").lower() for w in title.split()]
        while total < target:
            words = self._words(rng.randint(9, 24), topics, (0.28, 0.2, 0.07))
            if rng.random() < 0.4:
                words.insert(rng.randrange(len(words)), rng.choice(title_words))
            if rng.random() < 0.08:
                words.append(rng.choice(("$O(n \\log n)$", "$\\epsilon$-optimal", "$k$",
                                         "$\\mathcal{O}(1/T)$", "$L_2$")))
            total += len(words)
            sentences.append(" ".join(words).capitalize() + ".")
        return " ".join(sentences)

    def note(self, topics: list[int]) -> str:
        words = self._words(self.rng.randint(10, 60), topics, (0.35, 0.2, 0.05))
        return " ".join(words).capitalize() + "."

    def papers(self, n: int) -> Iterator[SynthPaper]:
        rng = self.rng
        real_every = max(1, n // len(self.real_titles))
        real_iter = iter(self.real_titles)
        keys: set[str] = set()
        base = date(1995, 1, 1)
        for i in range(1, n + 1):
            real = False
            title = None
            topics = [rng.randrange(len(self.topics))]
            if rng.random() < 0.3:
                topics.append(rng.randrange(len(self.topics)))
            if i % real_every == 0:
                title = next(real_iter, None)
                real = title is not None
            if title is None:
                title = self.title(topics)
            authors = self.authors()
            published = base + timedelta(days=rng.randint(0, 30 * 365))
            year = published.year
            first = authors[0].split()[-1].lower().strip("{}\\\"'")
            word = next((w for w in title.lower().split() if len(w) > 3), "paper")
            key = "".join(c for c in f"{first}{year}{word}" if c.isalnum())
            k2, n2 = key, 0
            while k2 in keys:
                n2 += 1
                k2 = f"{key}{n2}"
            keys.add(k2)
            arxiv = f"{year % 100:02d}{rng.randint(1, 12):02d}.{i:05d}" if rng.random() < 0.8 else None
            doi = f"10.{rng.randint(1000, 9999)}/{i}" if rng.random() < 0.3 else None
            n_tags = rng.choices((0, 1, 2, 3, 4), (70, 12, 9, 6, 3))[0]
            tags = rng.sample(TAGS, n_tags)
            n_notes = rng.choices((0, 1, 2, 3), (92, 5, 2, 1))[0]
            yield SynthPaper(
                id=i, key=k2, title=title, authors=authors, abstract=self.abstract(title, topics),
                year=year, published=published, arxiv_id=arxiv, doi=doi,
                source=rng.choices(SOURCES, (50, 35, 10, 5))[0],
                status="queued" if real else rng.choices(STATUSES, (40, 25, 5, 20, 10))[0],
                starred=rng.random() < 0.05, tags=tags,
                notes=[self.note(topics) for _ in range(n_notes)], real=real,
            )


def write_v1(path: Path, papers: list[SynthPaper]) -> None:
    """Fill a fresh version-1 library at ``path`` with ``papers`` using plain SQL (fast)."""
    from storage import migrations

    conn = sqlite3.connect(path)
    try:
        conn.isolation_level = None
        conn.execute("PRAGMA journal_mode = WAL")
        migrations.migrate(conn, target=1)
        conn.execute("BEGIN")
        tag_ids: dict[str, int] = {}
        now = "2024-06-16 08:00:00"
        for p in papers:
            conn.execute(
                "INSERT INTO paper (id, key, title, title_norm, abstract, arxiv_id, doi, published,"
                " year, source, status, starred, added, modified, categories, ai_keywords,"
                " extra_fields) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,'[]','[]','{}')",
                (p.id, p.key, p.title, p.title.lower(), p.abstract, p.arxiv_id, p.doi,
                 p.published.isoformat(), p.year, p.source, p.status, int(p.starred), now, now))
            conn.executemany(
                "INSERT INTO paper_author (paper_id, position, name) VALUES (?,?,?)",
                [(p.id, i, a) for i, a in enumerate(p.authors)])
            for t in p.tags:
                if t not in tag_ids:
                    tag_ids[t] = conn.execute(
                        "INSERT INTO tag (name) VALUES (?) RETURNING id", (t,)).fetchone()[0]
                conn.execute("INSERT INTO paper_tag (paper_id, tag_id) VALUES (?,?)",
                             (p.id, tag_ids[t]))
            for body in p.notes:
                conn.execute("INSERT INTO note (paper_id, body, created, updated) VALUES (?,?,?,?)",
                             (p.id, body, now, now))
            if p.source == "hf":
                conn.execute(
                    "INSERT INTO feed_entry (source, day, paper_id, rank, upvotes) VALUES "
                    "('hf', ?, ?, 1, 3)", (p.published.isoformat(), p.id))
        conn.execute("COMMIT")
    finally:
        conn.close()


def summary(papers: list[SynthPaper]) -> str:
    return json.dumps({"papers": len(papers), "real": sum(p.real for p in papers)})
