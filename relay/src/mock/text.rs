//! Deterministic, realistic reply texts for the mock: a few canned problems
//! chosen by words in the question, in Markdown with LaTeX and multi-byte
//! characters (°, ∠, π, Chinese), cut or extended to a requested length.
//!
//! A "token" here is one piece from [`tokenize`]: a word with its leading
//! spaces, a newline, or one non-ASCII character. Real tokenizers differ;
//! what matters is that counts are deterministic and that event boundaries
//! fall between multi-byte characters as they do upstream.

/// One canned problem: the words that select it, its reasoning and answer.
struct Canned {
    keys: &'static [&'static str],
    reasoning: &'static str,
    answer: &'static str,
}

const TRIANGLE: Canned = Canned {
    keys: &["triangle", "angle", "∠", "isosceles"],
    reasoning: "The figure shows a triangle with ∠A = 40°. The tick marks on sides AB and AC mean they are equal, so the triangle is isosceles with apex A.\n\nIn an isosceles triangle the base angles are equal: ∠B = ∠C = x.\n\nThe angles of a triangle add up to 180°, so 40° + x + x = 180°.\n\nThen 2x = 140°, and x = 70°.\n\nLet me double-check with the exterior angle: the exterior angle at C is 180° − 70° = 110°, and it should equal ∠A + ∠B = 40° + 70° = 110°. ✓ That matches, so x = 70°.",
    answer: "**Step 1.** Since $AB = AC$, the triangle is isosceles and its base angles are equal: $\\angle B = \\angle C = x$.\n\n**Step 2.** The angle sum gives\n\n$$40^\\circ + 2x = 180^\\circ \\quad\\Rightarrow\\quad 2x = 140^\\circ.$$\n\n**Answer:** $x = 70^\\circ$ — 所以 x = 70°。",
};

const CIRCLE: Canned = Canned {
    keys: &["circle", "area", "shaded", "radius", "square"],
    reasoning: "The image shows a square of side 4 with a circle inscribed in it; the shaded part is the region inside the square but outside the circle.\n\nThe circle touches all four sides, so its diameter equals the side: d = 4, r = 2.\n\nArea of the square: 4 × 4 = 16.\nArea of the circle: πr² = π · 2² = 4π.\n\nShaded area = 16 − 4π ≈ 16 − 12.566 = 3.434.\n\nSanity check: the circle covers π/4 ≈ 78.5% of the square, so about 21.5% is shaded, and 0.215 × 16 ≈ 3.43. ✓",
    answer: "The circle is inscribed, so $r = \\tfrac{4}{2} = 2$.\n\n| part | area |\n|---|---|\n| square | $4^2 = 16$ |\n| circle | $\\pi r^2 = 4\\pi$ |\n\n**Shaded area:** $16 - 4\\pi \\approx 3.43$ square units.",
};

const EQUATIONS: Canned = Canned {
    keys: &["equation", "solve", "system", "unknown", "variable"],
    reasoning: "The board shows two linear equations:\n2x + 3y = 12\nx − y = 1\n\nFrom the second one, x = y + 1. Substituting into the first: 2(y + 1) + 3y = 12, so 5y + 2 = 12, 5y = 10, y = 2.\n\nThen x = 2 + 1 = 3.\n\nCheck: 2·3 + 3·2 = 6 + 6 = 12 ✓, and 3 − 2 = 1 ✓.",
    answer: "Substitute $x = y + 1$ into $2x + 3y = 12$:\n\n$$2(y+1) + 3y = 12 \\;\\Rightarrow\\; 5y = 10 \\;\\Rightarrow\\; y = 2,$$\n\nso $x = 3$.\n\n**Solution:** $(x, y) = (3, 2)$.",
};

const CHART: Canned = Canned {
    keys: &["chart", "graph", "plot", "bar", "trend", "percent"],
    reasoning: "This is a bar chart of quarterly sales. Reading the bars against the y-axis: Q1 ≈ 120, Q2 ≈ 150, Q3 ≈ 135, Q4 ≈ 180 (thousand units).\n\nThe question asks for the growth from Q1 to Q4: (180 − 120) / 120 = 60 / 120 = 0.5, i.e. 50%.\n\nQ3 is the only quarter that dips: 150 → 135 is a 10% drop.\n\nTotal for the year: 120 + 150 + 135 + 180 = 585.",
    answer: "- **Q1 → Q4 growth:** $\\frac{180 - 120}{120} = 50\\%$\n- **Only decline:** Q3, down $10\\%$ from Q2\n- **Year total:** $585$ thousand units\n\nSales rose by **50%** over the year.",
};

const CHINESE: Canned = Canned {
    keys: &[],
    reasoning: "题目给出一个三角形，其中 ∠A = 40°，并且 AB = AC，所以这是一个等腰三角形。\n\n等腰三角形的两个底角相等，设 ∠B = ∠C = x。\n\n三角形内角和为 180°，所以 40° + 2x = 180°，得到 2x = 140°，x = 70°。\n\n再检查一下：外角 180° − 70° = 110°，等于 40° + 70° = 110°，正确。",
    answer: "**解：** 因为 $AB = AC$，所以 $\\angle B = \\angle C = x$。\n\n由内角和定理：$40^\\circ + 2x = 180^\\circ$，\n\n所以 $x = 70^\\circ$。",
};

const GENERIC: Canned = Canned {
    keys: &[],
    reasoning: "Let me look at the image carefully before answering.\n\nThe picture is a photo of a whiteboard with a hand-drawn diagram: three labelled boxes connected by arrows, and a short formula underneath, E = mc², written in blue marker.\n\nThe question asks what the image shows and what it means. The arrows go left to right, so the boxes read as a sequence of steps. The formula is mass–energy equivalence; it seems to be an annotation rather than part of the flow.\n\nI should describe the layout first, then interpret it, and keep the answer short.",
    answer: "The image shows a whiteboard sketch:\n\n1. **Three boxes** joined by arrows, read left → right as a process.\n2. **A formula** below them, $E = mc^2$ — mass–energy equivalence, added as a note.\n\nIn short: a three-step flow with a physics reminder underneath. 简而言之：一个三步流程图。",
};

const FOLLOW_UP: Canned = Canned {
    keys: &[],
    reasoning: "This is a follow-up to the problem we just solved, so I should build on that answer rather than start over.\n\nThe student asks why the rule I used holds. The cleanest argument: draw a line through the top vertex parallel to the base. The two angles it makes with the sides are alternate angles to the base angles, so they equal them.\n\nTogether with the angle at the vertex they form a straight line, which is 180°. So the three angles of the triangle add up to 180°.\n\nI should keep it short and connect it to the numbers from before.",
    answer: "Draw a line through the apex **parallel to the base**. The angles it makes with the two sides are *alternate angles*, equal to the base angles $\\angle B$ and $\\angle C$.\n\nThose two angles and $\\angle A$ lie along one straight line, so\n\n$$\\angle A + \\angle B + \\angle C = 180^\\circ.$$\n\nIn our triangle: $40^\\circ + 70^\\circ + 70^\\circ = 180^\\circ$ ✓",
};

const REASONING_FILLER: &[&str] = &[
    "Let me re-read the question to make sure nothing was missed.",
    "Checking the units again: every length is in the same unit, so the result needs no conversion.",
    "Another way to see it: work backwards from the result and confirm each step gives the given value.",
    "The diagram might not be to scale, so I should rely only on the marked equalities, not on how it looks.",
    "Consider an edge case: if the given value were 0°, the figure would degenerate, which is not the case here.",
    "So far every step is consistent; 再核对一遍 (checking once more) gives the same numbers.",
];

const ANSWER_FILLER: &[&str] = &[
    "*Check:* substituting the result back into the original condition gives an identity.",
    "*Why it works:* each step uses only facts marked in the figure.",
    "*Note:* the same method applies when the given angle or length changes.",
];

/// The canned problem a question selects: Chinese text gets the Chinese
/// solution, a question after an earlier answer the follow-up, otherwise the
/// first keyword match, otherwise a description.
fn choose(question: &str, follow_up: bool) -> &'static Canned {
    if question
        .chars()
        .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
    {
        return &CHINESE;
    }
    if follow_up {
        return &FOLLOW_UP;
    }
    let q = question.to_lowercase();
    [&TRIANGLE, &CIRCLE, &EQUATIONS, &CHART]
        .into_iter()
        .find(|c| c.keys.iter().any(|k| q.contains(k)))
        .unwrap_or(&GENERIC)
}

/// Splits text into token-like pieces (see the module comment).
pub fn tokenize(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && bytes[i] == b' ' {
            i += 1;
        }
        if i < bytes.len() {
            let c = bytes[i];
            if c.is_ascii_alphanumeric() {
                // Long words become several tokens, as they do upstream.
                let run_start = i;
                while i < bytes.len() && bytes[i].is_ascii_alphanumeric() && i - run_start < 8 {
                    i += 1;
                }
            } else {
                // One character, ASCII or not: `text` is a &str, so the
                // next char boundary is well defined.
                let len = text[i..].chars().next().map_or(1, char::len_utf8);
                i += len;
            }
        }
        out.push(&text[start..i]);
    }
    out
}

/// Token count of `text`.
pub fn count_tokens(text: &str) -> usize {
    tokenize(text).len()
}

fn extend(base: &str, filler: &[&str], sep: &str, want: Option<usize>) -> Vec<String> {
    let mut pieces: Vec<String> = tokenize(base).into_iter().map(str::to_owned).collect();
    let Some(want) = want else { return pieces };
    let mut k = 0;
    while pieces.len() < want {
        let line = format!("{sep}({}) {}", k + 1, filler[k % filler.len()]);
        pieces.extend(tokenize(&line).into_iter().map(str::to_owned));
        k += 1;
    }
    pieces.truncate(want);
    pieces
}

/// Reasoning and answer pieces for `question`, of the requested lengths
/// (`None`: the canned text's own length).
pub fn compose(
    question: &str,
    follow_up: bool,
    reasoning_tokens: Option<usize>,
    answer_tokens: Option<usize>,
) -> (Vec<String>, Vec<String>) {
    let c = choose(question, follow_up);
    (
        extend(c.reasoning, REASONING_FILLER, "\n\n", reasoning_tokens),
        extend(c.answer, ANSWER_FILLER, "\n\n", answer_tokens),
    )
}

/// Answer pieces of a given text (`X-Mock-Answer`), cut or extended to
/// the requested length as the canned answers are.
pub fn answer_from(text: &str, answer_tokens: Option<usize>) -> Vec<String> {
    extend(text, ANSWER_FILLER, "\n\n", answer_tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenize_is_lossless_and_keeps_chars_whole() {
        for c in [&TRIANGLE, &CIRCLE, &EQUATIONS, &CHART, &CHINESE, &GENERIC] {
            for t in [c.reasoning, c.answer] {
                let pieces = tokenize(t);
                assert_eq!(pieces.concat(), t);
                assert!(pieces.iter().all(|p| !p.is_empty()));
            }
        }
        assert_eq!(tokenize("x = 70°。"), ["x", " =", " 70", "°", "。"]);
    }

    #[test]
    fn question_words_select_the_problem() {
        assert!(compose("Find angle x.", false, None, None)
            .1
            .concat()
            .contains("70^\\circ"));
        assert!(compose("What is the shaded area?", false, None, None)
            .1
            .concat()
            .contains("4\\pi"));
        assert!(compose("Solve the system", false, None, None)
            .1
            .concat()
            .contains("(3, 2)"));
        assert!(compose("求角 x", false, None, None)
            .1
            .concat()
            .contains("解"));
        assert!(compose("Why is that?", true, None, None)
            .1
            .concat()
            .contains("parallel to the base"));
        assert!(compose("What is this?", false, None, None)
            .1
            .concat()
            .contains("whiteboard"));
    }

    #[test]
    fn lengths_are_exact_when_asked() {
        let (r, a) = compose("angle", false, Some(5000), Some(3));
        assert_eq!((r.len(), a.len()), (5000, 3));
        let (r, _) = compose("angle", false, Some(2), None);
        assert_eq!(r.concat(), "The figure");
        assert_eq!(answer_from("a $x$ b", None).concat(), "a $x$ b");
        assert_eq!(answer_from("a $x$ b", Some(2)).concat(), "a $");
        assert!(answer_from("a", Some(40))
            .concat()
            .starts_with("a\n\n(1) *Check:*"));
    }
}
