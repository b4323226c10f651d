//! The parts that need a real browser: local storage under the queue, and the
//! browser's randomness for answer ids. Run in headless Chromium by
//! wasm-bindgen-test (see scripts/test.sh).
#![cfg(target_arch = "wasm32")]

use std::rc::Rc;

use chrono::Utc;
use kept_shared::json::ToJson;
use kept_shared::{Answer, AnswerValue, Channel};
use kept_widget::browser::{LocalStore, random_uuid};
use kept_widget::queue::{Kept, KeyValueStore, Pending, Queue, Receipt};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn answer() -> Answer {
    Answer {
        id: random_uuid(),
        shop: "demo".into(),
        survey: "nps".into(),
        channel: Channel::Web,
        customer_ref: None,
        order_ref: None,
        customer_sig: None,
        order_sig: None,
        store: None,
        answered_at: Utc::now(),
        value: AnswerValue::Nps {
            score: 8,
            reason: Some("ok".into()),
        },
    }
}

#[wasm_bindgen_test]
fn local_storage_sets_gets_lists_and_removes() {
    let s = LocalStore::open().expect("local storage");
    s.set("kept:test:a", "1").unwrap();
    s.set("kept:test:b", "2").unwrap();
    s.set("other", "3").unwrap();
    assert_eq!(s.get("kept:test:a").as_deref(), Some("1"));
    let mut keys = s.keys_with_prefix("kept:test:");
    keys.sort();
    assert_eq!(keys, ["kept:test:a", "kept:test:b"]);
    for k in ["kept:test:a", "kept:test:b", "other"] {
        s.remove(k);
    }
    assert_eq!(s.get("kept:test:a"), None);
}

#[wasm_bindgen_test]
fn queued_answers_are_in_local_storage_for_the_next_page() {
    let storage = Rc::new(LocalStore::open().unwrap());
    let q = Queue::new(Some(storage.clone()), "pk_browser_test");
    let a = answer();
    assert_eq!(q.enqueue(&a), Kept::Durably);
    let raw = web_sys::window()
        .unwrap()
        .local_storage()
        .unwrap()
        .unwrap()
        .get_item(&format!("kept:v1:pk_browser_test:pending:{}", a.id))
        .unwrap();
    assert_eq!(serde_json::from_str::<Answer>(&raw.unwrap()).unwrap(), a);

    let next_page = Queue::new(Some(storage), "pk_browser_test");
    assert_eq!(
        next_page.next_batch(10),
        vec![Pending::read(a.to_json()).unwrap()]
    );
    next_page.apply_receipt(&Receipt {
        stored: vec![a.id],
        ..Default::default()
    });
    assert_eq!(q.pending_count(), 0);
}

#[wasm_bindgen_test]
fn a_full_quota_is_an_error_and_the_queue_falls_back_to_memory() {
    let storage = Rc::new(LocalStore::open().unwrap());
    // Fill the origin's quota (about 5 MB) to the last few bytes, in shrinking chunks.
    let mut filled = Vec::new();
    for chunk in [1 << 20, 1 << 16, 1 << 10, 16] {
        let value = "x".repeat(chunk);
        while filled.len() < 10_000
            && storage
                .set(&format!("kept:filler:{}", filled.len()), &value)
                .is_ok()
        {
            filled.push(format!("kept:filler:{}", filled.len()));
        }
    }
    assert!(
        storage.set("kept:filler:more", "x").is_err(),
        "the quota is reached"
    );
    let q = Queue::new(Some(storage.clone()), "pk_quota_test");
    let a = answer();
    let kept = q.enqueue(&a);
    for key in &filled {
        storage.remove(key);
    }
    assert_eq!(kept, Kept::InMemory);
    assert_eq!(q.next_batch(10), vec![Pending::read(a.to_json()).unwrap()]);
}

#[wasm_bindgen_test]
fn answer_ids_are_random_v4_uuids() {
    let (a, b) = (random_uuid(), random_uuid());
    assert_ne!(a, b);
    assert_eq!(a.get_version_num(), 4);
}
