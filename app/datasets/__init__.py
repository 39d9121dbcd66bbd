"""Training data made from feedback: supervised examples (reviewers' corrected answers, and
replies rated up that no reviewer dismissed, in the OpenAI chat fine-tuning format) and
preference pairs (a corrected answer against the reply rated down it corrects, and a retried
message's two answers, one rated up and one down, in TRL's conversational DPO shape),
streamed a page at a time."""
