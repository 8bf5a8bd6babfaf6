"""Agent workspace URLs of the tickets context: each page module declares its own patterns."""

from zabota.tickets.views import attachments, inbox, search, ticket

urlpatterns = [*inbox.urlpatterns, *ticket.urlpatterns, *search.urlpatterns, *attachments.urlpatterns]
