"""How learning is checked: question banks, quizzes, attempts and grading."""
