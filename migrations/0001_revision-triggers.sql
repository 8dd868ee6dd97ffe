-- Any change to routing rows bumps the 'routing' revision, so running services reload their in-memory
-- snapshot, whatever tool made the change.
INSERT INTO `revisions` (`name`, `value`) VALUES ('routing', 1);
--> statement-breakpoint
CREATE TRIGGER `rules_after_insert` AFTER INSERT ON `rules` BEGIN UPDATE `revisions` SET `value` = `value` + 1 WHERE `name` = 'routing'; END;
--> statement-breakpoint
CREATE TRIGGER `rules_after_update` AFTER UPDATE ON `rules` BEGIN UPDATE `revisions` SET `value` = `value` + 1 WHERE `name` = 'routing'; END;
--> statement-breakpoint
CREATE TRIGGER `rules_after_delete` AFTER DELETE ON `rules` BEGIN UPDATE `revisions` SET `value` = `value` + 1 WHERE `name` = 'routing'; END;
--> statement-breakpoint
CREATE TRIGGER `fallbacks_after_insert` AFTER INSERT ON `fallbacks` BEGIN UPDATE `revisions` SET `value` = `value` + 1 WHERE `name` = 'routing'; END;
--> statement-breakpoint
CREATE TRIGGER `fallbacks_after_update` AFTER UPDATE ON `fallbacks` BEGIN UPDATE `revisions` SET `value` = `value` + 1 WHERE `name` = 'routing'; END;
--> statement-breakpoint
CREATE TRIGGER `fallbacks_after_delete` AFTER DELETE ON `fallbacks` BEGIN UPDATE `revisions` SET `value` = `value` + 1 WHERE `name` = 'routing'; END;
