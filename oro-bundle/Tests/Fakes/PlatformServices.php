<?php

/**
 * Fakes of oroinc/platform services (checked at 3aec000b, master, and 21e1cd4d, 5.1).
 */

namespace Oro\Bundle\SecurityBundle\Encoder {
    /** SecurityBundle/Encoder/SymmetricCrypterInterface.php */
    interface SymmetricCrypterInterface
    {
        public function encryptData($data);

        public function decryptData($data);
    }
}

namespace Oro\Bundle\EntityBundle\ORM {
    /** EntityBundle/ORM/DoctrineHelper.php::getEntity, over entities given to the constructor. */
    class DoctrineHelper
    {
        private array $entities;

        /** @param array $entities [class => [id => entity, ...], ...] */
        public function __construct(array $entities = [])
        {
            $this->entities = $entities;
        }

        public function getEntity($entityClass, $entityId)
        {
            return $this->entities[$entityClass][$entityId] ?? null;
        }
    }
}
