"""The optional LLM summariser (ALICE_SUMMARIZER=openai): an OpenAI-compatible client."""
