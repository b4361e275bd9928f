"""Hand-made responses and IFEval requirement instances for the parity test (written for flinch)."""

RESPONSES = [
    # 0 plain prose with abbreviations and initials
    "Mr. Smith met Dr. Jones at 5 p.m. in Washington, D.C. They talked about the U.S. economy. It was a long talk.",
    # 1 numbered list
    "Here are three fruits:\n1. Apples\n2. Pears are good.\n3. Plums\nEnjoy them!",
    # 2 star bullets
    "My favourite things:\n* Reading books\n* Walking by the sea\n* Cooking pasta",
    # 3 dash bullets with a horizontal rule
    "- first point\n- second point\n---\nThat is all.",
    # 4 bold lines are not bullets
    "**Summary**\n* one\n**Details**\n* two",
    # 5 highlights
    "This is *very important* and this is **also important**. But *   * is empty.",
    # 6 highlight edge: multiline asterisks
    "*start of a\nline* and *done*",
    # 7 placeholders
    "Dear [name],\nPlease send the report to [address] by [date].\nThanks, [signature]",
    # 8 title
    "<<The Sea at Night>>\nThe waves roll in. The moon is bright.",
    # 9 empty title and angle brackets
    "<< >> is not a title, and < <x> > neither.",
    # 10 fenced JSON
    "```json\n{\"name\": \"Alice\", \"age\": 30, \"tags\": [\"a\", \"b\"]}\n```",
    # 11 JSON with prose
    "Here is the JSON:\n{\"ok\": true}",
    # 12 plain JSON array
    "[1, 2, 3]",
    # 13 broken JSON
    "{\"a\": 1,}",
    # 14 quoted response
    "\"The sea is calm tonight. I love it.\"",
    # 15 two responses
    "The sea is blue.\n******\nThe sky is grey.",
    # 16 two identical responses
    "Same answer.\n******\nSame answer.",
    # 17 three responses
    "One.\n******\nTwo.\n******\nThree.",
    # 18 empty middle response
    "One.\n******\n   \n******\nTwo.",
    # 19 *** paragraphs
    "First paragraph about the sea.\n***\nSecond paragraph about the wind.\n***\nThird paragraph about the sand.",
    # 20 *** with empty middle
    "First.\n***\n\n***\nThird.",
    # 21 *** leading and trailing dividers
    "***\nOnly one paragraph here.\n***",
    # 22 blank-line paragraphs
    "The sea is wide and deep.\n\nHowever, the river is narrow.\n\nI like both of them.",
    # 23 blank-line paragraphs with quotes on the first word
    "\"Hello,\" she said.\n\n'Weekend' plans are fun.",
    # 24 triple newline paragraphs
    "Para one.\n\n\nPara two starts here.\n\nPara three.",
    # 25 postscript P.S.
    "Thanks for reading my letter.\n\nP.S. I will call you tomorrow.",
    # 26 postscript P.P.S
    "See you soon.\nP.S. Bring snacks.\nP.P.S. And drinks!",
    # 27 postscript variants
    "Best wishes.\nPS: remember the keys.\np. s. lowercase marker",
    # 28 all capitals English
    "THE SEA IS VERY CALM TODAY. WE WENT SWIMMING AND HAD A GREAT TIME.",
    # 29 all lowercase English
    "the sea is very calm today. we went swimming and had a great time with our friends.",
    # 30 lowercase with one capital I
    "i think that I am happy here by the sea with my family and friends.",
    # 31 mixed capital words and contractions
    "I DON'T think SO. JOHN'S car is FAST but the BMW is faster. NASA and the U.S.A. agree.",
    # 32 Hindi
    "समुद्र बहुत सुंदर है। हम हर साल गर्मियों में वहाँ जाते हैं और बहुत मज़ा करते हैं।",
    # 33 German
    "Das Meer ist heute sehr ruhig. Wir sind geschwommen und hatten eine schöne Zeit am Strand.",
    # 34 Korean
    "바다는 오늘 매우 조용합니다. 우리는 수영을 하고 해변에서 즐거운 시간을 보냈습니다.",
    # 35 Swahili
    "Bahari ni tulivu sana leo. Tuliogelea na tulikuwa na wakati mzuri sana pamoja na marafiki zetu katika ufukwe wa bahari.",
    # 36 Russian
    "Море сегодня очень спокойное. Мы плавали и прекрасно провели время на пляже с друзьями.",
    # 37 Finnish
    "Meri on tänään hyvin tyyni. Uimme ja meillä oli hauskaa rannalla ystävien kanssa koko päivän.",
    # 38 Arabic
    "البحر هادئ جدا اليوم. لقد سبحنا وقضينا وقتا رائعا على الشاطئ مع أصدقائنا.",
    # 39 end phrase
    "I hope this helps you plan the trip. Is there anything else I can help with?",
    # 40 end phrase in quotes with trailing space
    "\"Here is my answer. Is there anything else I can help with?\"  ",
    # 41 end phrase followed by more text
    "Is there anything else I can help with? Have a nice day.",
    # 42 end phrase Peace
    "We should all get along.\nPeace!",
    # 43 repeat prompt
    "Write a poem about the sea. The sea is wide, the sea is deep, the sea will rock you into sleep.",
    # 44 repeat prompt, different case
    "write a POEM about the sea.\nWaves and foam.",
    # 45 constrained response
    "My answer is yes. The evidence is strong.",
    # 46 constrained response lowercase
    "my answer is no.",
    # 47 sections
    "SECTION 1\nIntroduction to the topic.\nSECTION 2\nDetails of the topic.\nSECTION 3\nConclusion.",
    # 48 sections mixed case
    "Section 1: Setup\nSection 2: Usage\nsection 3: Notes",
    # 49 Day sections
    "Day 1 - Arrive in Tokyo.\nDay 2 - Visit Kyoto.\nDay3 - Osaka.",
    # 50 paragraphs with PARAGRAPH splitter
    "PARAGRAPH 1\nThe first one.\nPARAGRAPH 2\nThe second one.",
    # 51 poem without punctuation
    "The sea is wide\nThe waves are high\nThe gulls fly low\nBeneath the sky",
    # 52 four-word sentences
    "The sea is calm. Birds fly very high. I love the shore. We swim all day.",
    # 53 ellipsis and questions
    "Well... I am not sure. Are you? Maybe! Let me think... Yes.",
    # 54 quotes around sentence ends
    "He said \"Stop.\" Then he left. She asked, \"Why?\" Nobody answered.",
    # 55 numbers with periods
    "The price rose 3.5 percent in 2020. It fell 2. percent later. Version 1.2.3 is out.",
    # 56 e.g. and i.e.
    "Bring fruit, e.g. apples or pears. Avoid sweets, i.e. candy. That is all.",
    # 57 commas
    "Yes, I agree, the sea is lovely, and the sand is warm.",
    # 58 no commas
    "Yes I agree the sea is lovely and the sand is warm.",
    # 59 keyword heavy
    "The sea, the SEA, the seaside. Sea air is fresh. Undersea life is rich.",
    # 60 forbidden word as substring only
    "The seashore and the seasons are different from the ocean's waves.",
    # 61 letters
    "Queen Quincy quietly quit the quiz. Eeeeee! Excellent effort everyone.",
    # 62 short one word
    "Yes",
    # 63 whitespace only
    "   \n  ",
    # 64 markdown heavy answer
    "# Travel Plan\n\n**Day 1:** Arrive.\n\n* Visit the *old town*\n* Eat *local food*\n\n## Notes\n- Bring a map\n- Stay safe\n\nIs there anything else I can help with?",
    # 65 long prose
    "The ocean covers most of our planet. It holds countless creatures, from tiny plankton to enormous whales. Scientists study it constantly. Yet much of it remains unexplored. Deep trenches hide strange life forms. Some fish glow in the dark. Others have enormous teeth. The pressure there is immense. Submarines can only go so deep. Many mysteries remain.",
    # 66 dialogue with contractions
    "\"I can't go,\" said Tom. \"Why not?\" asked Ann. \"It's late,\" he replied. They'll try tomorrow.",
    # 67 brackets and parentheses
    "The result (see Table 2.) was clear. [Note: check again.] The end.",
    # 68 abbreviations at sentence end
    "I work at Acme Inc. We make tools. My boss is Mr. Brown. He is nice.",
    # 69 first line intro plus quoted answer
    "Sure, here is the answer:\n\"The sea is calm.\"",
    # 70 title line and sign-off for loose mode
    "Here is my email:\n<<Leaving the Company>>\nDear boss, I quit.\nBest regards",
    # 71 ALL CAPS with digits and punctuation only line
    "HELLO WORLD 123!\n...\nBYE NOW.",
    # 72 URLs and emails
    "Visit example.com today. Email me at a.b@test.org. Thanks.",
    # 73 bullet with nested spaces and plus
    "  * indented bullet\n\t- tab bullet\n+ plus is not a bullet\n*not a bullet? yes it is",
    # 74 curly quotes
    "She said “Stop.” He stopped. ‘Fine,’ he said.",
]

REQUIREMENTS = [
    ("keywords:existence", {"keywords": ["sea", "wind"]}),
    ("keywords:existence", {"keywords": ["Python", "java"]}),
    ("keywords:frequency", {"keyword": "sea", "frequency": 2, "relation": "at least"}),
    ("keywords:frequency", {"keyword": "the", "frequency": 3, "relation": "less than"}),
    ("keywords:forbidden_words", {"forbidden_words": ["sea", "ocean"]}),
    ("keywords:forbidden_words", {"forbidden_words": ["is"]}),
    ("keywords:letter_frequency", {"letter": "e", "let_frequency": 10, "let_relation": "at least"}),
    ("keywords:letter_frequency", {"letter": "q", "let_frequency": 2, "let_relation": "less than"}),
    # Not `!`: lm-eval's copy replaces non-ASCII-letter letters by a random one; google-research's does not.
    ("language:response_language", {"language": "hi"}),
    ("language:response_language", {"language": "de"}),
    ("language:response_language", {"language": "sw"}),
    ("language:response_language", {"language": "ko"}),
    ("language:response_language", {"language": "ru"}),
    ("language:response_language", {"language": "fi"}),
    ("language:response_language", {"language": "ar"}),
    ("length_constraints:number_sentences", {"num_sentences": 3, "relation": "less than"}),
    ("length_constraints:number_sentences", {"num_sentences": 3, "relation": "at least"}),
    ("length_constraints:number_sentences", {"num_sentences": 5, "relation": "at least"}),
    ("length_constraints:number_sentences", {"num_sentences": 2, "relation": "less than"}),
    ("length_constraints:number_paragraphs", {"num_paragraphs": 1}),
    ("length_constraints:number_paragraphs", {"num_paragraphs": 2}),
    ("length_constraints:number_paragraphs", {"num_paragraphs": 3}),
    ("length_constraints:number_words", {"num_words": 50, "relation": "at least"}),
    ("length_constraints:number_words", {"num_words": 20, "relation": "less than"}),
    ("length_constraints:number_words", {"num_words": 10, "relation": "at least"}),
    ("length_constraints:nth_paragraph_first_word", {"num_paragraphs": 3, "nth_paragraph": 1, "first_word": "the"}),
    ("length_constraints:nth_paragraph_first_word", {"num_paragraphs": 3, "nth_paragraph": 2, "first_word": "however"}),
    ("length_constraints:nth_paragraph_first_word", {"num_paragraphs": 2, "nth_paragraph": 2, "first_word": "weekend"}),
    ("length_constraints:nth_paragraph_first_word", {"num_paragraphs": 2, "nth_paragraph": 1, "first_word": "hello"}),
    ("length_constraints:nth_paragraph_first_word", {"num_paragraphs": 3, "nth_paragraph": 2, "first_word": "para"}),
    ("detectable_content:number_placeholders", {"num_placeholders": 1}),
    ("detectable_content:number_placeholders", {"num_placeholders": 4}),
    ("detectable_content:postscript", {"postscript_marker": "P.S."}),
    ("detectable_content:postscript", {"postscript_marker": "P.P.S"}),
    ("detectable_format:number_bullet_lists", {"num_bullets": 1}),
    ("detectable_format:number_bullet_lists", {"num_bullets": 2}),
    ("detectable_format:number_bullet_lists", {"num_bullets": 3}),
    ("detectable_format:number_bullet_lists", {"num_bullets": 4}),
    ("detectable_format:constrained_response", {}),
    ("detectable_format:number_highlighted_sections", {"num_highlights": 1}),
    ("detectable_format:number_highlighted_sections", {"num_highlights": 2}),
    ("detectable_format:number_highlighted_sections", {"num_highlights": 3}),
    ("detectable_format:multiple_sections", {"section_spliter": "SECTION", "num_sections": 2}),
    ("detectable_format:multiple_sections", {"section_spliter": "Section", "num_sections": 3}),
    ("detectable_format:multiple_sections", {"section_spliter": "Day", "num_sections": 3}),
    ("detectable_format:multiple_sections", {"section_spliter": "PARAGRAPH", "num_sections": 1}),
    ("detectable_format:json_format", {}),
    ("detectable_format:title", {}),
    ("combination:two_responses", {}),
    ("combination:repeat_prompt", {"prompt_to_repeat": "Write a poem about the sea."}),
    ("combination:repeat_prompt", {"prompt_to_repeat": "What is the capital of France?"}),
    ("startend:end_checker", {"end_phrase": "Is there anything else I can help with?"}),
    ("startend:end_checker", {"end_phrase": "Peace!"}),
    ("change_case:capital_word_frequency", {"capital_frequency": 3, "capital_relation": "at least"}),
    ("change_case:capital_word_frequency", {"capital_frequency": 5, "capital_relation": "less than"}),
    ("change_case:capital_word_frequency", {"capital_frequency": 1, "capital_relation": "at least"}),
    ("change_case:english_capital", {}),
    ("change_case:english_lowercase", {}),
    ("punctuation:no_comma", {}),
    ("startend:quotation", {}),
]
