"""The ticket context's htmx views, one module per page: inbox, ticket, search."""
