"""What is awarded: certificate templates, issuing, PDF rendering and public verification."""
