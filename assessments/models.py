# MCQs, quizzes and exam tickets; filled by the seed import and quiz issues.
