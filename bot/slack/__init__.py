"""The Slack edge: the Bolt app factory and one listeners module per Slack surface."""
