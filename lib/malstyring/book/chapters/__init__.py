"""One module per chapter: its ``build`` checks the chapter's parameters, computes what the chapter shows, glues the
values and figures its text cites, and returns a :class:`~malstyring.book.page.Page` with the tables it displays."""
