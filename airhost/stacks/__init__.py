"""An environment's CloudFormation stacks brought to their rendered state, for every cloud target.

``changeset`` fills a stack's parameters from earlier stacks' outputs and prepares its change set;
``apply`` takes one stack through its change set, events streamed; ``plan`` describes what a deploy
would change without changing anything.
"""
