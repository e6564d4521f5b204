//! OpenAI-compatible (`compatible-mode`) event decoding.
//!
//! One chunk is `{"id","model","choices":[{"delta":{"content",
//! "reasoning_content"},"finish_reason"}],"usage"}`; the usage chunk has
//! `"choices": []`; an error chunk has a top-level `error` object
//! (PROTOCOL.md §3). Non-streaming bodies have `message` where chunks have
//! `delta`, and are read by the same code.

use super::errors::{self, scan_error_body};
use super::event::{delta, first_choice, Fail, Meta};
use super::usage;
use crate::json::Scanner;
#[allow(unused_imports)]
use crate::prelude::*;

/// Decodes one chunk's JSON: appends its texts to `reasoning` and `answer`
/// and returns the rest. Only the first choice is read (the library never
/// asks for `n > 1`). On failure nothing is guaranteed about what was
/// appended: the caller truncates.
pub(crate) fn decode<'a>(
    data: &'a str,
    reasoning: &mut String,
    answer: &mut String,
) -> Result<Meta<'a>, Fail> {
    let mut meta = Meta::default();
    let mut error = false;
    let mut s = Scanner::new(data);
    let scanned = s
        .object(|s, k| match &*k.text() {
            "choices" => first_choice(s, reasoning, answer, &mut meta),
            "usage" => {
                meta.usage = usage::text(s)?;
                Ok(())
            }
            "id" => {
                meta.id = s.opt_string()?.filter(|i| !i.is_empty());
                Ok(())
            }
            "model" => {
                meta.model = s.opt_string()?.filter(|m| !m.is_empty());
                Ok(())
            }
            "error" => {
                error = !s.null();
                if error {
                    s.skip()
                } else {
                    Ok(())
                }
            }
            _ => s.skip(),
        })
        .and_then(|_| s.end());
    if scanned.is_err() {
        return Err(Fail::Json);
    }
    if error {
        let body = scan_error_body(data).map_err(|_| Fail::Json)?;
        let fallback = match &body.code {
            Some(code) => {
                let mut m = String::from("the server sent error ");
                m.push_str(code);
                m.push_str(" in the stream");
                m
            }
            None => String::from("the server sent an error in the stream"),
        };
        return Err(Fail::Api(errors::api_error(None, body, None, fallback)));
    }
    Ok(meta)
}

/// The bytes around the `delta` of the last chunk that carried nothing
/// but text. A stream's chunks differ only inside `delta` until the finish
/// (same `id`, `created`, `model`, `index`, `"finish_reason":null`), so a
/// chunk that starts with `prefix` and continues with `suffix` after its
/// delta means what that chunk meant apart from the text: only the delta
/// is decoded, the rest costs two comparisons. Anything else (the finish,
/// usage, an error, a changed field) takes the full decode.
#[derive(Debug, Default)]
pub(crate) struct Shape {
    prefix: String,
    suffix: String,
}

/// [`decode`] for a stream's chunks, with `shape` kept from chunk to chunk.
pub(crate) fn decode_chunk<'a>(
    data: &'a str,
    reasoning: &mut String,
    answer: &mut String,
    shape: &mut Shape,
) -> Result<Meta<'a>, Fail> {
    if !shape.prefix.is_empty() {
        if let Some(rest) = data.strip_prefix(shape.prefix.as_str()) {
            let (r0, a0) = (reasoning.len(), answer.len());
            let mut s = Scanner::new(rest);
            if delta(&mut s, reasoning, answer).is_ok()
                && rest.get(s.pos()..) == Some(&shape.suffix)
            {
                return Ok(Meta::default());
            }
            reasoning.truncate(r0);
            answer.truncate(a0);
        }
    }
    let meta = decode(data, reasoning, answer)?;
    // id and model may sit in the prefix: the decoder keeps the first
    // chunk's, so leaving them out of later chunks' Meta changes nothing.
    if meta.deltas == 1 && meta.usage.is_none() && meta.finish().is_none() {
        let (from, to) = meta.delta;
        if let (Some(p), Some(q)) = (data.get(..from), data.get(to..)) {
            shape.prefix.clear();
            shape.prefix.push_str(p);
            shape.suffix.clear();
            shape.suffix.push_str(q);
        }
    }
    Ok(meta)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A chunk assembled from pieces that vary the way a stream's chunks
    /// can: ids and models, key order, blanks, delta shapes and escapes,
    /// a finish, usage, an error, extra choices, duplicate keys, junk.
    fn chunk(v: &[usize; 8]) -> String {
        let id = [
            "\"id\":\"chatcmpl-1\"",
            "\"id\":\"chatcmpl-2\"",
            "\"id\":\"\"",
        ][v[0] % 3];
        let model = ["\"model\":\"qwen3-vl-plus\"", "\"model\":\"qvq-max\""][v[1] % 2];
        let delta = [
            "{\"content\":null,\"reasoning_content\":\" with\"}",
            "{\"content\":\"x = 70\\u00b0\",\"reasoning_content\":null}",
            "{\"content\":[{\"text\":\"a\\\"b\"},\"c\"],\"reasoning_content\":\"\\n\"}",
            "null",
            "{\"reasoning_content\":\"\u{1F600}\", \"role\":\"assistant\"}",
            "{\"content\":12}",
            "{\"content\":\"unterminated}",
        ][v[2] % 7];
        let key = ["delta", "message"][usize::from(v[3] % 5 == 4)];
        let finish = ["null", "null", "null", "\"stop\"", "\"null\"", "\"\""][v[4] % 6];
        let tail = [
            "",
            "",
            ",\"usage\":null",
            ",\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4,\"total_tokens\":7}",
            ",\"error\":null",
            ",\"error\":{\"message\":\"boom\",\"code\":\"x\"}",
            ",\"choices\":[{\"delta\":{\"content\":\"dup\"}}]",
            "}",
        ][v[5] % 8];
        let more = ["", "", ",{\"index\":1,\"delta\":{\"content\":\"other\"}}"][v[6] % 3];
        let choices = format!(
            "\"choices\":[{{\"index\":0,\"{key}\":{delta},\"finish_reason\":{finish},\"logprobs\":null}}{more}]"
        );
        let head =
            format!("{id},\"object\":\"chat.completion.chunk\",\"created\":1764300000,{model}");
        match v[7] % 4 {
            0 | 1 => format!("{{{head},{choices}{tail}}}"),
            2 => format!("{{{choices},{head}{tail}}}"),
            _ => format!("{{ {head} , {choices}{tail} }}"),
        }
    }

    /// What a decode told the stream: texts, finish, usage, id, model, or
    /// that it failed (and how).
    fn outcome(m: Result<Meta<'_>, Fail>, r: &str, a: &str) -> String {
        match m {
            Ok(m) => format!(
                "ok r={r:?} a={a:?} finish={:?} usage={:?} id={:?} model={:?}",
                m.finish().map(|f| f.text().into_owned()),
                m.usage,
                m.id.map(|i| i.text().into_owned()),
                m.model.map(|i| i.text().into_owned()),
            ),
            Err(Fail::Json) => "json".into(),
            Err(Fail::Api(e)) => format!("api {}", e.message),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Any run of chunks decodes the same with the shape cache as
        /// without it, id and model counted as the stream keeps them (the
        /// first chunk's).
        #[test]
        fn the_shape_cache_changes_nothing(
            chunks in prop::collection::vec((prop::array::uniform8(0usize..64), 0u8..4), 1..24),
        ) {
            let mut shape = Shape::default();
            let (mut id, mut model) = (None, None);
            let (mut id2, mut model2) = (None, None);
            // Most chunks repeat the last one with another delta (as a
            // stream does), so the cache is put to work, not just filled.
            let mut last = [0usize; 8];
            for (fresh, mode) in &chunks {
                let mut v = *fresh;
                if *mode < 3 {
                    v = last;
                    if *mode < 2 {
                        v[2] = fresh[2];
                    }
                }
                last = v;
                let data = chunk(&v);
                let (mut r, mut a) = (String::new(), String::new());
                let plain = decode(&data, &mut r, &mut a);
                if let Ok(m) = &plain {
                    id = id.or(m.id.map(|i| i.text().into_owned()));
                    model = model.or(m.model.map(|i| i.text().into_owned()));
                }
                let plain = outcome(plain.map(|m| Meta { id: None, model: None, ..m }), &r, &a);
                let (mut r2, mut a2) = (String::new(), String::new());
                let cached = decode_chunk(&data, &mut r2, &mut a2, &mut shape);
                if let Ok(m) = &cached {
                    id2 = id2.or(m.id.map(|i| i.text().into_owned()));
                    model2 = model2.or(m.model.map(|i| i.text().into_owned()));
                }
                let cached = outcome(cached.map(|m| Meta { id: None, model: None, ..m }), &r2, &a2);
                prop_assert_eq!(&cached, &plain, "{}", data);
                prop_assert_eq!(&id2, &id);
                prop_assert_eq!(&model2, &model);
            }
        }
    }

    #[test]
    fn the_shape_cache_is_used_for_plain_text_chunks() {
        let mut shape = Shape::default();
        let (mut r, mut a) = (String::new(), String::new());
        let first = chunk(&[0, 0, 0, 0, 0, 0, 0, 0]);
        decode_chunk(&first, &mut r, &mut a, &mut shape)
            .map_err(|_| ())
            .unwrap();
        assert!(first.starts_with(&shape.prefix) && first.ends_with(&shape.suffix));
        assert!(shape.prefix.ends_with("\"delta\":"), "{}", shape.prefix);
        // A chunk that only a full decode would understand: id and model
        // come back, so this was not the fast path.
        let next = chunk(&[0, 0, 1, 0, 0, 0, 0, 0]);
        let m = decode_chunk(&next, &mut r, &mut a, &mut shape)
            .map_err(|_| ())
            .unwrap();
        assert!(
            m.id.is_none() && m.model.is_none(),
            "the fast path leaves them out"
        );
        assert_eq!((r.as_str(), a.as_str()), (" with", "x = 70°"));
        // The finish is not plain text: a full decode, which names the id.
        let last = chunk(&[0, 0, 0, 0, 3, 0, 0, 0]);
        let m = decode_chunk(&last, &mut r, &mut a, &mut shape)
            .map_err(|_| ())
            .unwrap();
        assert_eq!(
            m.finish().map(|f| f.text().into_owned()).as_deref(),
            Some("stop")
        );
        assert!(m.id.is_some());
    }
}
