//! An import's problems in the owner's language. English is the problem's own
//! words, as the API gives them; Russian and Ukrainian are written here, from
//! the same details.

use kept_shared::ImportProblem;

use crate::db::DbError;
use crate::owner::import::ImportFailure;

use super::format::money;
use super::i18n::{Forms, Lang};

pub(super) const CHARACTERS: Forms = Forms {
    one: "символ",
    few: "символа",
    many: "символов",
    other: "",
};

pub(super) const CHARACTERS_UK: Forms = Forms {
    one: "символ",
    few: "символи",
    many: "символів",
    other: "",
};

/// `problem` as a sentence in `lang`.
pub fn describe(lang: Lang, problem: &ImportProblem) -> String {
    use ImportProblem as P;
    let (ru, uk) = match problem {
        P::TooManyRows { max } => (
            format!("Покупок в одном импорте может быть не больше: {max}"),
            format!("Покупок в одному імпорті може бути не більше: {max}"),
        ),
        P::ReadAsWindows1251 => (
            "Файл — не UTF-8, он прочитан как Windows-1251: если его столбцы не нашлись, \
             сохраните его как «CSV UTF-8»"
                .into(),
            "Файл — не UTF-8, його прочитано як Windows-1251: якщо його стовпці не знайшлися, \
             збережіть його як «CSV UTF-8»"
                .into(),
        ),
        P::HeaderUnreadable { detail } => (
            format!("Строку заголовков не удаётся прочитать: {detail}"),
            format!("Рядок заголовків не вдається прочитати: {detail}"),
        ),
        P::ColumnRepeated { columns } => (
            format!(
                "Это поле названо в заголовке больше одного раза ({}): оставьте один столбец",
                columns.join(", ")
            ),
            format!(
                "Це поле названо в заголовку більше ніж один раз ({}): залиште один стовпець",
                columns.join(", ")
            ),
        ),
        P::ColumnMissing { names } => (
            format!(
                "В заголовке нет столбца для этого поля (назовите его {})",
                names.join(" или ")
            ),
            format!(
                "У заголовку немає стовпця для цього поля (назвіть його {})",
                names.join(" або ")
            ),
        ),
        P::TooManyValues {
            values,
            columns,
            separator,
        } => {
            let (ru, uk) = match separator.as_str() {
                "," => (
                    "Значение с запятой (12,50) нужно взять в кавычки (\"12,50\") или \
                     сохранить файл с разделителем «;»",
                    "Значення з комою (12,50) треба взяти в лапки (\"12,50\") або зберегти \
                     файл із роздільником «;»",
                ),
                "\t" => (
                    "Значение с табуляцией нужно взять в кавычки",
                    "Значення з табуляцією треба взяти в лапки",
                ),
                _ => (
                    "Значение с точкой с запятой нужно взять в кавычки",
                    "Значення з крапкою з комою треба взяти в лапки",
                ),
            };
            (
                format!("В строке значений: {values}, а столбцов в заголовке: {columns}. {ru}"),
                format!("У рядку значень: {values}, а стовпців у заголовку: {columns}. {uk}"),
            )
        }
        P::RowUnreadable { detail } => (
            format!("Строку не удаётся прочитать: {detail}"),
            format!("Рядок не вдається прочитати: {detail}"),
        ),
        // The reader's own words are English: where it stopped says enough.
        P::NotJson { line, column, .. } => (
            format!("Файл — не JSON: ошибка в строке {line}, в позиции {column}"),
            format!("Файл — не JSON: помилка в рядку {line}, у позиції {column}"),
        ),
        P::NotAList => (
            "Ожидался массив покупок или {\"purchases\": [...]}".to_string(),
            "Очікувався масив покупок або {\"purchases\": [...]}".to_string(),
        ),
        P::NotAnObject => (
            "Покупка — это объект: {\"customer_ref\": ..., \"purchase_id\": ..., ...}".into(),
            "Покупка — це об'єкт: {\"customer_ref\": ..., \"purchase_id\": ..., ...}".into(),
        ),
        P::Missing => ("Значение отсутствует".into(), "Значення відсутнє".into()),
        P::NotText { value } => (
            format!("«{value}» — не текст"),
            format!("«{value}» — не текст"),
        ),
        P::Empty => ("Значение пустое".into(), "Значення порожнє".into()),
        P::TooLong { len, max } => (
            format!(
                "Значение длиной {}, а можно не больше {max}",
                Lang::Ru.count(*len, &CHARACTERS)
            ),
            format!(
                "Значення завдовжки {}, а можна не більше ніж {max}",
                Lang::Uk.count(*len, &CHARACTERS_UK)
            ),
        ),
        P::Invalid { detail } => (
            format!("Значение неверно: {detail}"),
            format!("Значення хибне: {detail}"),
        ),
        P::Unknown => (
            "Неизвестная этой версии ошибка".into(),
            "Невідома цій версії помилка".into(),
        ),
        P::BadCharacters => (
            "Значение может содержать только латинские буквы, цифры и - _ . : @".into(),
            "Значення може містити лише латинські літери, цифри та - _ . : @".into(),
        ),
        P::DotsOnly => (
            "Значение не может быть . или .. (такое не бывает частью адреса страницы)".into(),
            "Значення не може бути . або .. (таке не буває частиною адреси сторінки)".into(),
        ),
        P::AmountMissing => ("Сумма не указана".into(), "Суму не вказано".into()),
        P::AmountTwice => (
            "Укажите amount или amount_cents, но не оба".into(),
            "Вкажіть amount або amount_cents, але не обидва".into(),
        ),
        P::NotAnAmount { value } => (
            format!("«{value}» — не сумма вида 12.50"),
            format!("«{value}» — не сума на кшталт 12.50"),
        ),
        P::NotCents { value } => (
            format!("«{value}» — не целое число центов (копеек)"),
            format!("«{value}» — не ціле число центів (копійок)"),
        ),
        P::NegativeAmount { value } => (
            format!(
                "«{value}» меньше нуля: сумма — это то, что заплатил клиент (возврат — не покупка)"
            ),
            format!(
                "«{value}» менше нуля: сума — це те, що заплатив клієнт (повернення — не покупка)"
            ),
        ),
        P::AmountTooLarge { max_cents } => (
            format!(
                "Сумма больше допустимой: не больше {}",
                money(Lang::Ru, *max_cents)
            ),
            format!(
                "Сума більша за допустиму: не більше ніж {}",
                money(Lang::Uk, *max_cents)
            ),
        ),
        P::PointsTooLarge => (
            "Баллы за эту покупку превышают допустимый предел".into(),
            "Бали за цю покупку перевищують допустиму межу".into(),
        ),
        P::NotATime { value } => (
            format!(
                "«{value}» — ни дата (2026-03-01, 01.03.2026), ни время (2026-03-01T10:30:00Z, \
                 2026-03-01 10:30 в часовом поясе магазина)"
            ),
            format!(
                "«{value}» — ні дата (2026-03-01, 01.03.2026), ні час (2026-03-01T10:30:00Z, \
                 2026-03-01 10:30 у часовому поясі магазину)"
            ),
        ),
        P::NoNoon { value } => (
            format!("В часовом поясе магазина у дня «{value}» нет полудня"),
            format!("У часовому поясі магазину день «{value}» не має полудня"),
        ),
        P::TimeOutOfRange {
            value,
            min_year,
            max_year,
        } => (
            format!(
                "Дата {value} вне допустимого диапазона: от {min_year}-01-01 до завтрашнего дня (и не позже {max_year} года) по времени магазина"
            ),
            format!(
                "Дата {value} поза допустимим діапазоном: від {min_year}-01-01 до завтрашнього дня (і не пізніше {max_year} року) за часом магазину"
            ),
        ),
        P::RepeatedPurchase {
            purchase_id,
            first_row,
        } => (
            format!(
                "Покупка «{purchase_id}» уже есть в строке {first_row}, но с другим клиентом, суммой, днём или магазином"
            ),
            format!(
                "Покупка «{purchase_id}» уже є в рядку {first_row}, але з іншим клієнтом, сумою, днем або магазином"
            ),
        ),
        P::RecordedOtherwise { purchase_id } => (
            format!(
                "Покупка «{purchase_id}» уже записана с другим клиентом, суммой, днём или магазином"
            ),
            format!(
                "Покупку «{purchase_id}» уже записано з іншим клієнтом, сумою, днем або магазином"
            ),
        ),
        P::Interrupted {
            stored,
            total_rows,
            why,
        } => (
            format!(
                "Импорт остановился, сохранив строк: {stored} из {total_rows}. Причина: {why}. \
                 Сохранённое остаётся; когда причина устранена, импортируйте тот же файл ещё \
                 раз, чтобы закончить (сохранённое будет отмечено как известное)"
            ),
            format!(
                "Імпорт зупинився, зберігши рядків: {stored} з {total_rows}. Причина: {why}. \
                 Збережене залишається; коли причину усунуто, імпортуйте той самий файл ще \
                 раз, щоб завершити (збережене буде позначено як відоме)"
            ),
        ),
    };
    match lang {
        Lang::En => capitalized(&problem.to_string()),
        Lang::Ru => ru,
        Lang::Uk => uk,
    }
}

/// Why an import stopped, or failed before storing anything, as the store
/// said it, in `lang`: a sentence.
pub fn why_stopped(lang: Lang, error: &DbError) -> String {
    let (ru, uk) = match error {
        DbError::Conflict(_) => (
            "Покупку с номером из файла тем временем записали с другим клиентом, суммой, днём или магазином \
             (строки ниже).",
            "Покупку з номером із файлу тим часом записали з іншим клієнтом, сумою, днем або магазином \
             (рядки нижче).",
        ),
        DbError::LimitExceeded(_) => (
            "Баллы клиента превысили бы предел.",
            "Бали клієнта перевищили б межу.",
        ),
        DbError::StorageFull(_) => ("Диск сервера заполнен.", "Диск сервера заповнений."),
        DbError::Unavailable(_) => (
            "База данных была занята или недоступна: попробуйте ещё раз чуть позже.",
            "База даних була зайнята або недоступна: спробуйте ще раз трохи згодом.",
        ),
        DbError::Internal(_) => ("Внутренняя ошибка сервера.", "Внутрішня помилка сервера."),
        // Limits of this server that say themselves which (in English).
        DbError::NotFound(_) | DbError::AtCapacity(_) => ("", ""),
    };
    match lang {
        Lang::Ru if !ru.is_empty() => ru.into(),
        Lang::Uk if !uk.is_empty() => uk.into(),
        _ => format!("{}.", capitalized(&ImportFailure::why_stopped(error))),
    }
}

/// A sentence begins with a capital letter (the API's words do not: they follow
/// a field's name in a log line).
pub(super) fn capitalized(words: &str) -> String {
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_language_says_the_problem_with_its_details() {
        let long = ImportProblem::TooLong { len: 131, max: 128 };
        assert_eq!(
            describe(Lang::En, &long),
            "The value is 131 characters long, the most is 128"
        );
        assert_eq!(
            describe(Lang::Ru, &long),
            "Значение длиной 131 символ, а можно не больше 128"
        );
        assert_eq!(
            describe(Lang::Uk, &long),
            "Значення завдовжки 131 символ, а можна не більше ніж 128"
        );
        let amount = ImportProblem::NotAnAmount {
            value: "12,345".into(),
        };
        assert_eq!(
            describe(Lang::Uk, &amount),
            "«12,345» — не сума на кшталт 12.50"
        );
        // The JSON reader's English is left out: where it stopped is said.
        let json = ImportProblem::NotJson {
            detail: "expected value at line 2 column 3".into(),
            line: 2,
            column: 3,
        };
        assert_eq!(
            describe(Lang::Ru, &json),
            "Файл — не JSON: ошибка в строке 2, в позиции 3"
        );
        assert!(describe(Lang::En, &json).contains("expected value"));
    }

    #[test]
    fn why_an_import_stopped_is_said_in_the_owner_s_language() {
        let taken = DbError::Conflict("purchase \"b9\" is recorded already".into());
        assert!(why_stopped(Lang::Ru, &taken).starts_with("Покупку с номером из файла"));
        assert_eq!(
            why_stopped(Lang::En, &taken),
            "Purchase \"b9\" is recorded already."
        );
        let busy = DbError::Unavailable(anyhow::anyhow!("pool timed out"));
        assert!(why_stopped(Lang::Uk, &busy).starts_with("База даних була зайнята"));
    }
}
