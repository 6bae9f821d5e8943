"""Planning on the registry: build the planner's problem from the groups under a unit, store drafts."""
