"""Back-to-back appraisal (背靠背评议): setup, voting, review, approval, publication, coverage."""
