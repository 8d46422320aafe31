"""The GraphQL front door (strawberry): types, queries, mutations; resolvers call services."""
