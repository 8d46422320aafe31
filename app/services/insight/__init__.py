"""Customer insight: rule-based tags, contribution and the relationship graph (issue 7, item 6)."""

from app.services.insight.contribution import ORDER as CUSTOMER_ORDER
from app.services.insight.contribution import ContributionFigures, ContributionReport, CustomerContribution, customer_contributions
from app.services.insight.graph import MAX_HOPS, GraphEdge, GraphNode, RelationshipGraph, relationship_graph
from app.services.insight.profile import set_customer_profile
from app.services.insight.tags import TagRefreshReport, refresh_customer_tags, tags_of

__all__ = [
    "CUSTOMER_ORDER",
    "MAX_HOPS",
    "ContributionFigures",
    "ContributionReport",
    "CustomerContribution",
    "GraphEdge",
    "GraphNode",
    "RelationshipGraph",
    "TagRefreshReport",
    "customer_contributions",
    "refresh_customer_tags",
    "relationship_graph",
    "set_customer_profile",
    "tags_of",
]
