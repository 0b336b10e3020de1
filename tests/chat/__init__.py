"""Chat about an evaluation: API, providers, context trimming, and the Chat tab."""
