-- Menu edits change routing too.
CREATE TRIGGER `menu_keys_after_insert` AFTER INSERT ON `menu_keys` BEGIN UPDATE `revisions` SET `value` = `value` + 1 WHERE `name` = 'routing'; END;
--> statement-breakpoint
CREATE TRIGGER `menu_keys_after_update` AFTER UPDATE ON `menu_keys` BEGIN UPDATE `revisions` SET `value` = `value` + 1 WHERE `name` = 'routing'; END;
--> statement-breakpoint
CREATE TRIGGER `menu_keys_after_delete` AFTER DELETE ON `menu_keys` BEGIN UPDATE `revisions` SET `value` = `value` + 1 WHERE `name` = 'routing'; END;
