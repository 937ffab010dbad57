"""Registry tables. Columns follow ../shared/spec/data-contract.md (subscribers, cells).

Personal data at rest: an ID number is kept as a keyed hash (exact matching) plus an encrypted copy;
names are encrypted too. Masked forms are stored so lists never need to decrypt.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fanzha.db import Base


class Person(Base):
    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    id_hash: Mapped[str] = mapped_column(String(64), unique=True, comment="HMAC-SHA256 of the ID number")
    id_enc: Mapped[str] = mapped_column(Text, comment="Fernet-encrypted ID number")
    id_masked: Mapped[str] = mapped_column(String(18))
    name_enc: Mapped[str | None] = mapped_column(Text)
    name_masked: Mapped[str | None] = mapped_column(String(64))
    name_hash: Mapped[str | None] = mapped_column(
        String(64), comment="keyed hash of the name: exact matching and change detection without decrypting"
    )
    birth_date: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(1), comment="M or F, from the ID's sequence digit")
    # Not indexed: no query selects persons by division, and every index costs time on each bulk load.
    division_code: Mapped[str | None] = mapped_column(String(6), comment="GB/T 2260 code in the ID")
    occupation: Mapped[str | None] = mapped_column(String(32))

    lines: Mapped[list[Line]] = relationship(back_populates="person")


class Shop(Base):
    __tablename__ = "shops"

    shop_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(128))
    region_code: Mapped[str | None] = mapped_column(String(6))


class Clerk(Base):
    __tablename__ = "clerks"

    clerk_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    shop_id: Mapped[str | None] = mapped_column(ForeignKey("shops.shop_id"))
    name: Mapped[str | None] = mapped_column(String(64))


class Line(Base):
    __tablename__ = "lines"

    msisdn: Mapped[str] = mapped_column(String(20), primary_key=True)
    line_type: Mapped[str] = mapped_column(String(8))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    open_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Looked up through ix_lines_shop_open (shop_id first): a separate shop_id index would be redundant.
    shop_id: Mapped[str | None] = mapped_column(ForeignKey("shops.shop_id"))
    clerk_id: Mapped[str | None] = mapped_column(ForeignKey("clerks.clerk_id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="active")
    imsi: Mapped[str | None] = mapped_column(String(16))
    carrier: Mapped[str | None] = mapped_column(String(16))

    person: Mapped[Person | None] = relationship(back_populates="lines")

    __table_args__ = (Index("ix_lines_shop_open", "shop_id", "open_time"),)


class Cell(Base):
    __tablename__ = "cells"

    cell_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    region_code: Mapped[str] = mapped_column(String(6), index=True)
