"""Training data made from feedback: supervised examples (replies rated up, in the OpenAI chat
fine-tuning format) and preference pairs (a retried message's two answers, one rated up and
one down, in TRL's conversational DPO shape), streamed a page at a time."""
