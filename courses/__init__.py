"""What is learned and how it counts: course pages, enrollment, progress, the credit-hour ledger."""
